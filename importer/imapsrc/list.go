package imapsrc

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ferrymail/ferrymail/importer/mutf7"
	"github.com/ferrymail/ferrymail/store"
)

// ListedMailbox is one mailbox as LIST gave it.
type ListedMailbox struct {
	Raw        string   // the name as the server spells it: sent back as it is (EXAMINE, STATUS)
	Name       string   // UTF-8, levels separated by "/", "INBOX" for the inbox
	Delim      string   // the server's hierarchy delimiter, "" for a flat name space
	Attrs      []string // name attributes as sent (\Noselect, \HasChildren, \Sent …)
	SpecialUse string   // the RFC 6154 attribute, "" if none
	Subscribed bool
	NoSelect   bool     // \Noselect or \NonExistent: holds no messages
	Warnings   []string // what was odd about the name (not valid modified UTF-7 …)
}

// specialUses are the RFC 6154 §2 attributes, and the store's spelling.
var specialUses = map[string]string{`\ALL`: store.SpecialAll, `\ARCHIVE`: store.SpecialArchive,
	`\DRAFTS`: store.SpecialDrafts, `\FLAGGED`: store.SpecialFlagged, `\JUNK`: store.SpecialJunk, `\SENT`: store.SpecialSent, `\TRASH`: store.SpecialTrash}

// List returns every mailbox (LIST "" "*", RFC 9051 §6.3.9) with its
// subscription state: LSUB on IMAP4rev1 servers, LIST (SUBSCRIBED) (RFC
// 5258 §3) on IMAP4rev2-only ones. A failing subscription listing is a
// warning, not an error.
func (c *Client) List() ([]ListedMailbox, []string, error) {
	var boxes []ListedMailbox
	index := map[string]int{}
	_, err := c.run(func(r *response) bool {
		if r.kind != "LIST" {
			return false
		}
		if mb, ok := parseList(r); ok {
			if _, dup := index[mb.Raw]; !dup {
				index[mb.Raw] = len(boxes)
				boxes = append(boxes, mb)
			}
		}
		return false
	}, "LIST", `""`, `"*"`)
	if err != nil {
		return nil, nil, err
	}
	var warns []string
	subs := func(r *response) bool {
		if r.kind != "LIST" && r.kind != "LSUB" {
			return false
		}
		mb, ok := parseList(r)
		if !ok {
			return false
		}
		sub := r.kind == "LSUB"
		for _, a := range mb.Attrs {
			sub = sub || strings.EqualFold(a, `\Subscribed`)
		}
		if i, ok := index[mb.Raw]; ok && sub {
			boxes[i].Subscribed = true
		}
		return false
	}
	if c.Has("IMAP4REV1") || !c.Has("IMAP4REV2") {
		_, err = c.run(subs, "LSUB", `""`, `"*"`)
	} else {
		_, err = c.run(subs, "LIST", "(SUBSCRIBED)", `""`, `"*"`)
	}
	if err != nil {
		if connLost(err) {
			return nil, nil, err
		}
		warns = append(warns, fmt.Sprintf("subscriptions not read: %v", err))
	}
	return boxes, warns, nil
}

// parseList reads mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE
// QUOTED-CHAR DQUOTE / nil) SP mailbox [SP mbox-list-extended].
func parseList(r *response) (ListedMailbox, bool) {
	if len(r.fields) < 3 || r.fields[0].kind != vList {
		return ListedMailbox{}, false
	}
	mb := ListedMailbox{Raw: r.fields[2].str(), Delim: r.fields[1].str()}
	for _, a := range r.fields[0].list {
		attr := a.str()
		mb.Attrs = append(mb.Attrs, attr)
		up := strings.ToUpper(attr)
		if su, ok := specialUses[up]; ok && mb.SpecialUse == "" {
			mb.SpecialUse = su
		}
		if up == `\NOSELECT` || up == `\NONEXISTENT` {
			mb.NoSelect = true
		}
	}
	mb.Name, mb.Warnings = decodeName(mb.Raw, mb.Delim)
	return mb, mb.Raw != ""
}

// decodeName turns a server's mailbox name into the store's: levels split
// at the delimiter, each decoded from modified UTF-7 (RFC 3501 §5.1.3).
// A level that is not valid modified UTF-7 (a bare "&", 8-bit octets:
// Courier, Exchange and UW servers send these) is taken as UTF-8 when it
// is valid UTF-8, else as Latin-1, with a warning; the mailbox is never
// lost for its name.
func decodeName(raw, delim string) (string, []string) {
	var warns []string
	levels := []string{raw}
	if delim != "" {
		levels = strings.Split(raw, delim)
	}
	out := levels[:0]
	for _, l := range levels {
		if l == "" {
			continue // "a..b", a trailing delimiter
		}
		dec, err := mutf7.Decode(l)
		if err != nil {
			if utf8.ValidString(l) {
				dec = l
				warns = append(warns, fmt.Sprintf("mailbox name %q is not valid modified UTF-7 (%v): taken as UTF-8", raw, err))
			} else {
				dec = latin1(l)
				warns = append(warns, fmt.Sprintf("mailbox name %q is neither modified UTF-7 nor UTF-8: taken as Latin-1, %q", raw, dec))
			}
		}
		if clean := storable(dec); clean != dec {
			warns = append(warns, fmt.Sprintf("mailbox name %q has characters the store refuses (LIST wildcards %%, *, or control characters): imported as %q", raw, clean))
			dec = clean
		}
		if delim != "/" && strings.Contains(dec, "/") {
			// "/" is the store's delimiter: one level of the source must
			// not become two.
			fixed := strings.ReplaceAll(dec, "/", "_")
			warns = append(warns, fmt.Sprintf("mailbox name %q has a \"/\" inside a level: imported as %q", raw, fixed))
			dec = fixed
		}
		out = append(out, dec)
	}
	if len(out) > 0 && strings.EqualFold(out[0], store.InboxName) {
		out[0] = store.InboxName
	}
	return strings.Join(out, "/"), warns
}

// storable replaces what store.CanonicalMailboxName refuses in a level:
// the LIST wildcards (RFC 9051 §5.1) and control characters.
func storable(level string) string {
	return strings.Map(func(r rune) rune {
		if r == '%' || r == '*' || unicode.IsControl(r) || r == utf8.RuneError {
			return '_'
		}
		return r
	}, level)
}

func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// standardNames give a special use to mailboxes of servers that announce
// none (no RFC 6154), by the names clients create: only used when no
// mailbox of the server carries a special-use attribute.
var standardNames = map[string]string{
	"sent": `\Sent`, "sent items": `\Sent`, "sent messages": `\Sent`, "sent mail": `\Sent`,
	"drafts": store.SpecialDrafts, "trash": `\Trash`, "deleted items": `\Trash`, "deleted messages": `\Trash`,
	"junk": `\Junk`, "spam": `\Junk`, "junk e-mail": `\Junk`, "archive": store.SpecialArchive,
}

// guessSpecialUse sets SpecialUse from standard names when no mailbox has
// one from LIST; each use is given once. It returns the notes to report.
func guessSpecialUse(boxes []ListedMailbox) []string {
	for _, b := range boxes {
		if b.SpecialUse != "" {
			return nil
		}
	}
	var notes []string
	given := map[string]bool{}
	for i := range boxes {
		name := strings.TrimPrefix(boxes[i].Name, store.InboxName+"/")
		su, ok := standardNames[strings.ToLower(name)]
		if !ok || given[su] || boxes[i].NoSelect {
			continue
		}
		given[su] = true
		boxes[i].SpecialUse = su
		notes = append(notes, fmt.Sprintf("the server lists no special-use attributes (RFC 6154): %q taken as %s by its name", boxes[i].Name, su))
	}
	return notes
}
