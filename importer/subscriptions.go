package importer

import (
	"strings"

	"github.com/ferrymail/ferrymail/importer/mutf7"
	"github.com/ferrymail/ferrymail/store"
)

// ParseSubscriptions reads a legacy subscription file and returns the
// subscribed mailboxes by their UTF-8, "/"-separated names:
//   - Dovecot's "subscriptions" (Maildir) and ".subscriptions" (mbox):
//     version 1 is a name per line with the namespace's separator; version
//     2 starts "V\t2\n\n" and separates levels by tabs, tab-escaped
//     (Dovecot's subscription-file.c);
//   - Courier's "courierimapsubscribed" ("INBOX.Name") and UW's
//     ".mailboxlist" (a name per line).
//
// seps are the separators a version 1 line may use; an "INBOX" prefix
// level (Courier's namespace) is dropped; levels in modified UTF-7 are
// decoded.
func ParseSubscriptions(text, seps string) map[string]bool {
	subs := map[string]bool{}
	v2 := strings.HasPrefix(text, "V\t2\n\n")
	if v2 {
		text = text[len("V\t2\n\n"):]
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		var parts []string
		if v2 {
			parts = strings.Split(line, "\t")
			for i := range parts {
				parts[i] = tabUnescape(parts[i])
			}
		} else {
			parts = strings.FieldsFunc(line, func(r rune) bool { return strings.ContainsRune(seps, r) })
		}
		if len(parts) == 0 {
			continue
		}
		if len(parts) > 1 && strings.EqualFold(parts[0], store.InboxName) {
			parts = parts[1:]
		}
		for i, p := range parts {
			if dec, err := mutf7.Decode(p); err == nil {
				parts[i] = dec
			}
		}
		name := strings.Join(parts, "/")
		if strings.EqualFold(name, store.InboxName) {
			name = store.InboxName
		}
		subs[name] = true
	}
	return subs
}

// tabUnescape undoes Dovecot's str_append_tabescaped: \001 followed by 1,
// t, r or n stands for \001, tab, CR or LF.
func tabUnescape(s string) string {
	if !strings.Contains(s, "\x01") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 1 && i+1 < len(s) {
			i++
			switch s[i] {
			case '1':
				b.WriteByte(1)
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'n':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
