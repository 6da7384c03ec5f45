// Package verify compares what an old and a new mail server serve for one
// account, as the clients that cached it see it: the identifiers of
// DESIGN.md ("Why it exists"). It is what an administrator runs before
// switching DNS, after "ferrymail import imap" and "import pop3".
//
// Each side is read into a Snapshot, read-only: over IMAP with LIST,
// EXAMINE (RFC 9051 §6.3.3, never SELECT, so no \Recent or \Seen changes)
// and UID FETCH 1:* (UID FLAGS RFC822.SIZE); over POP3 with UIDL and LIST
// (RFC 1939 §7, §5), never RETR, TOP or DELE. Compare then lists, per
// mailbox, every difference a client would notice:
//
//   - a mailbox present on one side only (but an empty one on the new side
//     only is a note: clients show a new folder and download nothing, and
//     a new server may create some for every account);
//   - another UIDVALIDITY (RFC 9051 §2.3.1.1: the client discards its cache);
//   - a smaller UIDNEXT on the new side (UIDs the client already saw could be
//     given to other messages). A larger one is accepted and noted: UIDNEXT
//     may grow without messages (a message delivered to the new server and
//     expunged there, or the importer's max(source UIDNEXT, highest UID+1)),
//     and a client seeing it only looks for new mail and finds none — the
//     UID set, compared too, is what says whether anything would be fetched;
//   - a UID present on one side only, another RFC822.SIZE, other flags
//     (system flags and keywords compared case-insensitively, RFC 9051 §2.3.2;
//     \Recent ignored, it is per session);
//   - POP3: a UIDL present on one side only, another size, another order.
package verify

import (
	"sort"
	"strings"
)

// Snapshot is what one server serves one account.
type Snapshot struct {
	// Mailboxes by name: UTF-8, hierarchy separated by "/" whatever the
	// server's delimiter, "INBOX" for the inbox (any case at the server).
	Mailboxes map[string]*Mailbox
	// POP3 is the maildrop listing in message-number order; nil when POP3
	// was not read.
	POP3 []POP3Entry
}

// Mailbox is one mailbox's identifiers.
type Mailbox struct {
	Name        string
	UIDValidity uint32
	UIDNext     uint32
	Messages    map[uint32]Message // by UID
}

// Message is what a client caches of one message besides its UID.
type Message struct {
	Size  int64    // RFC822.SIZE
	Flags []string // as the server sent them
}

// POP3Entry is one line of the UIDL listing with its LIST size.
type POP3Entry struct {
	UIDL string
	Size int64 // -1 when LIST did not give one
}

// normalFlags is a flag list as compared: lower-cased, without \Recent,
// sorted and without repeats.
func normalFlags(flags []string) []string {
	out := make([]string, 0, len(flags))
	seen := map[string]bool{}
	for _, f := range flags {
		l := strings.ToLower(f)
		if l == `\recent` || seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// mailboxName is the name under which a mailbox is compared: the server's
// delimiter replaced by "/", and INBOX in upper case (RFC 9051 §5.1: INBOX
// is case-insensitive).
func mailboxName(name string, delim rune) string {
	if delim != 0 && delim != '/' {
		name = strings.ReplaceAll(name, string(delim), "/")
	}
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	if len(name) > 6 && strings.EqualFold(name[:6], "INBOX/") {
		return "INBOX" + name[5:]
	}
	return name
}
