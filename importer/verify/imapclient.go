package verify

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/importer/remote"
)

// IMAPClientReader is an IMAPReader on go-imap v2's imapclient. It sends
// only LOGIN, LIST "" "*", EXAMINE, STATUS (when EXAMINE lacks UIDNEXT or
// UIDVALIDITY, as RFC 2060 servers may), UID FETCH 1:* (UID FLAGS
// RFC822.SIZE) and LOGOUT: nothing that changes the mailbox, and no
// message body crosses the wire.
type IMAPClientReader struct{}

var _ IMAPReader = IMAPClientReader{}

// ReadIMAP implements IMAPReader.
func (IMAPClientReader) ReadIMAP(ctx context.Context, e Endpoint, patterns []string) (map[string]*Mailbox, error) {
	c, err := dialIMAP(ctx, &e)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// Cancelling (Ctrl-C) ends a command that waits for the server.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		return nil, fmt.Errorf("%s: LIST: %w", e.Addr, err)
	}
	out := map[string]*Mailbox{}
	for _, l := range list {
		if hasAttr(l.Attrs, imap.MailboxAttrNoSelect) || hasAttr(l.Attrs, imap.MailboxAttrNonExistent) {
			continue
		}
		name := mailboxName(l.Mailbox, l.Delim)
		if !matchAny(name, patterns) {
			continue
		}
		mb, err := readMailbox(c, l.Mailbox)
		if err != nil {
			return nil, fmt.Errorf("%s: mailbox %q: %w", e.Addr, l.Mailbox, err)
		}
		mb.Name = name
		out[name] = mb
	}
	c.Logout().Wait()
	return out, ctx.Err()
}

// dialIMAP connects, secures and logs in. Every failure here is a
// ConnectError.
func dialIMAP(ctx context.Context, e *Endpoint) (*imapclient.Client, error) {
	opts := &imapclient.Options{
		TLSConfig: remote.TLSConfig(e.Addr, e.InsecureSkipVerify),
		Dialer:    &net.Dialer{Timeout: e.timeout()},
	}
	var c *imapclient.Client
	var err error
	switch e.TLS {
	case remote.TLSImplicit:
		c, err = imapclient.DialTLS(e.Addr, opts)
	case remote.TLSStartTLS:
		c, err = imapclient.DialStartTLS(e.Addr, opts)
	default:
		c, err = imapclient.DialInsecure(e.Addr, opts)
	}
	if err != nil {
		return nil, &ConnectError{Addr: e.Addr, Err: fmt.Errorf("connecting: %w", err)}
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, &ConnectError{Addr: e.Addr, Err: fmt.Errorf("greeting: %w", err)}
	}
	if err := c.Login(e.User, e.Password).Wait(); err != nil {
		c.Close()
		return nil, &ConnectError{Addr: e.Addr, Err: fmt.Errorf("logging in as %q: %w", e.User, err)}
	}
	if ctx.Err() != nil {
		c.Close()
		return nil, ctx.Err()
	}
	return c, nil
}

func readMailbox(c *imapclient.Client, name string) (*Mailbox, error) {
	// EXAMINE, RFC 9051 §6.3.3: read-only, so \Recent and \Seen stay.
	sel, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("EXAMINE: %w", err)
	}
	mb := &Mailbox{UIDValidity: sel.UIDValidity, UIDNext: uint32(sel.UIDNext), Messages: map[uint32]Message{}}
	if mb.UIDValidity == 0 || mb.UIDNext == 0 {
		// RFC 3501 §6.3.1 made these response codes REQUIRED; RFC 2060
		// servers may leave them out, and STATUS has them.
		st, err := c.Status(name, &imap.StatusOptions{UIDNext: true, UIDValidity: true}).Wait()
		if err != nil {
			return nil, fmt.Errorf("STATUS: %w", err)
		}
		if mb.UIDValidity == 0 {
			mb.UIDValidity = st.UIDValidity
		}
		if mb.UIDNext == 0 {
			mb.UIDNext = uint32(st.UIDNext)
		}
	}
	if sel.NumMessages == 0 {
		return mb, nil
	}
	// UID FETCH 1:* (UID FLAGS RFC822.SIZE), RFC 9051 §6.4.9: no body, so
	// nothing is marked \Seen and little crosses the wire (some 60 bytes a
	// message).
	all := imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}
	cmd := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true})
	defer cmd.Close()
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		buf, err := msg.Collect()
		if err != nil {
			return nil, fmt.Errorf("UID FETCH: %w", err)
		}
		if buf.UID == 0 {
			continue // an unsolicited FETCH (a flag change by another session)
		}
		flags := make([]string, len(buf.Flags))
		for i, f := range buf.Flags {
			flags[i] = string(f)
		}
		mb.Messages[uint32(buf.UID)] = Message{Size: buf.RFC822Size, Flags: flags}
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("UID FETCH: %w", err)
	}
	return mb, nil
}

func hasAttr(attrs []imap.MailboxAttr, a imap.MailboxAttr) bool {
	for _, x := range attrs {
		if equalFoldAttr(x, a) {
			return true
		}
	}
	return false
}

func equalFoldAttr(a, b imap.MailboxAttr) bool { return strings.EqualFold(string(a), string(b)) }

// matchAny says whether name matches one of the LIST patterns; none
// matches everything.
func matchAny(name string, patterns []string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if imapserver.MatchList(name, '/', "", p) {
			return true
		}
	}
	return false
}
