package verify

import (
	"context"
	"fmt"

	"github.com/ferrymail/ferrymail/importer/imapsrc"
)

// TolerantReader is an IMAPReader on the live-IMAP importer's own client
// (importer/imapsrc), which reads what go-imap's imapclient gives up on
// (GO-IMAP-NOTES.md §5: unknown untagged responses and FETCH items, names
// that are not modified UTF-7, UID after a literal). It sends the same
// read-only commands: LOGIN, LIST (and LSUB), EXAMINE, STATUS where
// EXAMINE lacks UIDNEXT or UIDVALIDITY, and UID FETCH 1:* (UID FLAGS
// INTERNALDATE RFC822.SIZE). Legacy servers are what verify reads on the
// old side, so this is the reader to use there when imapclient fails.
type TolerantReader struct{}

var _ IMAPReader = TolerantReader{}

// ReadIMAP implements IMAPReader.
func (TolerantReader) ReadIMAP(ctx context.Context, e Endpoint, patterns []string) (map[string]*Mailbox, error) {
	c, err := imapsrc.Dial(ctx, imapsrc.Options{Addr: e.Addr, User: e.User, Password: e.Password, TLS: e.TLS,
		InsecureSkipVerify: e.InsecureSkipVerify, Timeout: e.timeout()})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &ConnectError{Addr: e.Addr, Err: err}
	}
	defer c.Close()
	list, _, err := c.List()
	if err != nil {
		return nil, fmt.Errorf("%s: LIST: %w", e.Addr, err)
	}
	out := map[string]*Mailbox{}
	for _, l := range list {
		// imapsrc names mailboxes as compared here: UTF-8, "/" between
		// levels, "INBOX" for the inbox.
		if l.NoSelect || !matchAny(l.Name, patterns) {
			continue
		}
		st, err := c.Examine(l.Raw)
		if err != nil {
			return nil, fmt.Errorf("%s: mailbox %q: EXAMINE: %w", e.Addr, l.Raw, err)
		}
		msgs, err := c.FetchMeta(st.Exists)
		if err != nil {
			return nil, fmt.Errorf("%s: mailbox %q: UID FETCH: %w", e.Addr, l.Raw, err)
		}
		mb := &Mailbox{Name: l.Name, UIDValidity: st.UIDValidity, UIDNext: st.UIDNext, Messages: make(map[uint32]Message, len(msgs))}
		for _, m := range msgs {
			mb.Messages[m.UID] = Message{Size: m.Size, Flags: m.Flags}
		}
		out[l.Name] = mb
	}
	c.Logout()
	return out, ctx.Err()
}
