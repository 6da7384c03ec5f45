package verify

import (
	"fmt"
	"io"
)

// DefaultMaxLines bounds the differences printed per mailbox: a mailbox
// imported under another UIDVALIDITY would otherwise print a line per
// message, and the first few say what is wrong.
const DefaultMaxLines = 20

// Write prints r: per mailbox a summary line, then at most maxLines
// differences ("… and K more" after them) and the notes; then a total
// line. maxLines <= 0 is DefaultMaxLines.
func (r *Result) Write(w io.Writer, maxLines int) error {
	if maxLines <= 0 {
		maxLines = DefaultMaxLines
	}
	ew := &errWriter{w: w}
	same := 0
	for _, m := range r.Mailboxes {
		if len(m.Differences) == 0 {
			same++
			ew.printf("%s: identical%s\n", m.Name, m.summary())
		} else {
			ew.printf("%s: %d differences%s\n", m.Name, len(m.Differences), m.summary())
		}
		for i, d := range m.Differences {
			if i == maxLines {
				ew.printf("  … and %d more\n", len(m.Differences)-maxLines)
				break
			}
			ew.printf("  %s: %s\n", d.Kind, d.Text)
		}
		for _, n := range m.Notes {
			ew.printf("  note: %s\n", n)
		}
	}
	ew.printf("total: %d compared, %d identical, %d with differences, %d differences\n",
		len(r.Mailboxes), same, len(r.Mailboxes)-same, r.Differences())
	return ew.err
}

// summary is what a mailbox line says of the mailbox itself.
func (m *MailboxResult) summary() string {
	if m.Summary == "" {
		return ""
	}
	return " (" + m.Summary + ")"
}

// errWriter keeps the first write error, so Write checks once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
