package pop3

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/ferrymail/ferrymail/store"
)

// maildrop is a session's snapshot of INBOX, taken at login (RFC 1939 §5:
// message numbers are fixed for the session and not reused).
type maildrop struct {
	mailbox store.MailboxID
	msgs    []entry // msgs[i] is message number i+1
}

// entry is one message of the snapshot.
type entry struct {
	uid     store.UID
	size    int64  // octets RETR sends before dot-stuffing (stored size)
	uidl    string // stored UIDL, byte for byte
	deleted bool   // marked by DELE, until RSET or QUIT
}

// snapshot reads INBOX's listing into a maildrop, in POP3 order.
func (s *session) snapshot() (*maildrop, error) {
	ctx, st, a := s.srv.ctx, s.srv.store, s.account.ID
	mb, err := st.Mailbox(ctx, a, store.InboxName)
	if err != nil {
		return nil, fmt.Errorf("finding INBOX: %w", err)
	}
	msgs, err := st.Messages(ctx, a, mb.ID)
	if err != nil {
		return nil, fmt.Errorf("listing INBOX: %w", err)
	}
	sortPOP3(msgs)
	d := &maildrop{mailbox: mb.ID, msgs: make([]entry, len(msgs))}
	for i, m := range msgs {
		d.msgs[i] = entry{uid: m.UID, size: m.Size, uidl: m.UIDL}
	}
	return d, nil
}

// sortPOP3 puts messages in POP3 order: those with an imported POP3 order
// first, by that order (then UID), then the others by UID. Messages() lists
// in UID order, so the sort is stable on that.
func sortPOP3(msgs []store.Message) {
	slices.SortStableFunc(msgs, func(a, b store.Message) int {
		switch {
		case a.POP3Order > 0 && b.POP3Order > 0:
			return cmp.Or(cmp.Compare(a.POP3Order, b.POP3Order), cmp.Compare(a.UID, b.UID))
		case a.POP3Order > 0:
			return -1
		case b.POP3Order > 0:
			return 1
		}
		return cmp.Compare(a.UID, b.UID)
	})
}

// stat counts the messages not marked deleted and their octets.
func (d *maildrop) stat() (n int, size int64) {
	for _, e := range d.msgs {
		if !e.deleted {
			n++
			size += e.size
		}
	}
	return n, size
}

// maxMsgNumberDigits bounds a message-number argument: no maildrop holds
// more than 2^32 messages (RFC 1939 §3: arguments are at most 40 chars).
const maxMsgNumberDigits = 10

// parseNumber parses a non-negative decimal argument.
func parseNumber(arg string) (int, bool) {
	if arg == "" || len(arg) > maxMsgNumberDigits {
		return 0, false
	}
	for i := 0; i < len(arg); i++ {
		if arg[i] < '0' || arg[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(arg)
	return n, err == nil
}

// message resolves a message-number argument to a message that is not
// marked deleted (RFC 1939 §5: "may NOT refer to a message marked as
// deleted").
func (d *maildrop) message(arg string) (int, *entry, error) {
	n, ok := parseNumber(arg)
	if !ok {
		return 0, nil, badf("invalid message number %q", truncate(arg))
	}
	if n < 1 || n > len(d.msgs) {
		return 0, nil, errorf("no such message, only %d messages in maildrop", len(d.msgs))
	}
	e := &d.msgs[n-1]
	if e.deleted {
		return 0, nil, errorf("message %d already deleted", n)
	}
	return n, e, nil
}

// truncate shortens an argument quoted back to the client or the log.
func truncate(s string) string {
	const max = 40 // RFC 1939 §3: arguments are up to 40 characters
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
