package maildir

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Keywords maps a Maildir filename's lowercase flag letters to keyword
// names: index 0 is 'a' … 25 is 'z' (dovecot-keywords, LEGACY-FORMATS.md
// §b.1).
type Keywords [26]string

// ParseDovecotKeywords reads dovecot-keywords: "<index> <keyword>" lines.
// Bad lines are left out and reported in warnings.
func ParseDovecotKeywords(r io.Reader, name string) (Keywords, []string) {
	var kw Keywords
	var warnings []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLineLength)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if text == "" {
			continue
		}
		idx, word, ok := strings.Cut(text, " ")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil || n < 0 || n >= len(kw) || word == "" {
			warnings = append(warnings, fmt.Sprintf("%s:%d: bad line %q ignored", name, line, text))
			continue
		}
		kw[n] = word
	}
	if err := sc.Err(); err != nil {
		warnings = append(warnings, fmt.Sprintf("%s:%d: %v", name, line+1, err))
	}
	return kw, warnings
}

// InfoFlags returns the flags of a Maildir filename's ":2,<letters>" info:
// D \Draft, F \Flagged, R \Answered, S \Seen, T \Deleted, and a–z the
// keywords kw names. P (passed) has no IMAP flag, as in Dovecot. Letters
// without a meaning are returned in unknown.
func InfoFlags(filename string, kw *Keywords) (flags []string, unknown string) {
	i := strings.Index(filename, ":2,")
	if i < 0 {
		return nil, ""
	}
	for _, c := range filename[i+3:] {
		switch {
		case c == 'D':
			flags = append(flags, `\Draft`)
		case c == 'F':
			flags = append(flags, `\Flagged`)
		case c == 'R':
			flags = append(flags, `\Answered`)
		case c == 'S':
			flags = append(flags, `\Seen`)
		case c == 'T':
			flags = append(flags, `\Deleted`)
		case c == 'P':
		case c >= 'a' && c <= 'z' && kw != nil && kw[c-'a'] != "":
			flags = append(flags, kw[c-'a'])
		default:
			unknown += string(c)
		}
	}
	return flags, unknown
}
