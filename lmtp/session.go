package lmtp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/ferrymail/ferrymail/store"
)

// Replies (RFC 5321 §4.2, RFC 3463 enhanced codes). The text never carries
// internal detail; the log does.
var (
	errNoSuchUser = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	errTempStore  = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure in the mail store, try again later"}
	errTooBig     = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big"}
	errNoMail     = &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "MAIL FROM first"}
)

// backend makes one session per connection.
type backend struct {
	s     *Server
	conns atomic.Uint64
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	cid := b.conns.Add(1)
	ss := &session{s: b.s, conn: c, log: b.s.log.With("cid", cid, "remote", c.Conn().RemoteAddr().String())}
	b.s.drain.attach(c.Conn(), ss)
	return newObserved(ss, b.s.opts.Observer), nil
}

// recipient is an accepted RCPT TO: the address as given and its account.
type recipient struct {
	addr string
	acc  store.Account
}

// session is one LMTP connection's transaction state.
type session struct {
	s     *Server
	conn  *smtp.Conn // for the Received: header's LHLO name and peer
	log   *slog.Logger
	from  string
	mail  bool   // MAIL FROM was given
	id    string // the transaction's, for Received: and the log
	rcpts []recipient
	// inTx is set from MAIL until the transaction ends (Reset, which
	// go-smtp also calls after DATA); Shutdown waits for such sessions.
	inTx atomic.Bool
}

var _ smtp.LMTPSession = (*session)(nil)

func (ss *session) Reset() {
	ss.from, ss.mail, ss.rcpts = "", false, nil
	ss.inTx.Store(false)
}

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.Reset()
	ss.from, ss.mail, ss.id = from, true, newTransactionID()
	ss.inTx.Store(true)
	return nil
}

// Rcpt accepts a recipient whose account exists (RFC 2033 §4.2: unknown
// users are refused here, before DATA).
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !ss.mail {
		return errNoMail
	}
	ctx, cancel := context.WithTimeout(context.Background(), ss.s.opts.Timeout)
	defer cancel()
	acc, err := accountForRecipient(ctx, ss.s.st, to, ss.s.opts.RecipientDelimiter)
	switch {
	case errors.Is(err, store.ErrAccountNotFound):
		ss.log.Info("lmtp rcpt", "to", to, "outcome", "unknown user")
		return errNoSuchUser
	case err != nil:
		ss.log.Error("lmtp rcpt", "to", to, "outcome", "error", "err", err)
		return errTempStore
	}
	ss.rcpts = append(ss.rcpts, recipient{addr: to, acc: acc})
	return nil
}

// AccountFor maps a recipient address to its account: the whole address
// when an account has that name (accounts named "alice@example.org"),
// otherwise the local part, the text before the last "@" ("alice"). Both
// lookups ignore case, as logins do. An address that names no account
// gives store.ErrAccountNotFound.
func AccountFor(ctx context.Context, st *store.Store, addr string) (store.Account, error) {
	acc, err := st.Account(ctx, addr)
	if err == nil || !errors.Is(err, store.ErrAccountNotFound) {
		return acc, err
	}
	i := strings.LastIndexByte(addr, '@')
	if i <= 0 {
		return store.Account{}, err
	}
	return st.Account(ctx, addr[:i])
}

// Data is SMTP's single-status DATA; go-smtp calls LMTPData instead in LMTP
// mode, so this only serves the interface.
func (ss *session) Data(r io.Reader) error {
	return ss.LMTPData(r, discardStatus{})
}

type discardStatus struct{}

func (discardStatus) SetStatus(string, error) {}

// LMTPData delivers the message to each accepted recipient and sets each
// one's status (RFC 2033 §4.2).
func (ss *session) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	ctx := context.Background()
	body := &stickyReader{r: r}
	if len(ss.rcpts) == 1 {
		status.SetStatus(ss.rcpts[0].addr, ss.deliver(ctx, ss.rcpts[0], body, body))
		return nil
	}
	spool, err := ss.spool(body)
	if err != nil {
		for _, rc := range ss.rcpts {
			status.SetStatus(rc.addr, err)
		}
		return nil
	}
	defer spool.Close()
	for _, rc := range ss.rcpts {
		if _, err := spool.Seek(0, io.SeekStart); err != nil {
			ss.log.Error("lmtp delivery", "err", fmt.Errorf("rewinding spool: %w", err))
			status.SetStatus(rc.addr, errTempStore)
			continue
		}
		status.SetStatus(rc.addr, ss.deliver(ctx, rc, spool, nil))
	}
	return nil
}

// spool copies the message to an unlinked temporary file.
func (ss *session) spool(body *stickyReader) (*os.File, error) {
	f, err := os.CreateTemp(ss.s.opts.SpoolDir, "ferrymail-lmtp-")
	if err != nil {
		ss.log.Error("lmtp delivery", "err", fmt.Errorf("creating spool file: %w", err))
		return nil, errTempStore
	}
	// Unlinked at once: the open file is all there is, and a crash leaves
	// nothing behind.
	os.Remove(f.Name())
	if _, err := io.Copy(f, body); err != nil {
		f.Close()
		if body.tooBig() {
			ss.log.Info("lmtp delivery", "from", ss.from, "outcome", "too big")
			return nil, errTooBig
		}
		ss.log.Error("lmtp delivery", "err", fmt.Errorf("spooling message: %w", err))
		return nil, errTempStore
	}
	return f, nil
}

// deliver appends the message, with its trace headers, to the recipient's
// INBOX and returns its status (nil for 250). src is the connection's
// reader (sticky, for telling a size error apart) or the spool file.
func (ss *session) deliver(ctx context.Context, rc recipient, src io.Reader, sticky *stickyReader) error {
	start := time.Now()
	log := ss.log.With("from", ss.from, "to", rc.addr, "user", rc.acc.Name, "id", ss.id)
	inbox, err := ss.s.st.Mailbox(ctx, rc.acc.ID, store.InboxName)
	if err != nil {
		log.Error("lmtp delivery", "outcome", "error", "err", err)
		return errTempStore
	}
	received := receivedHeader(ss.conn.Hostname(), ss.conn.Conn().RemoteAddr(), ss.s.opts.Hostname, ss.id, ss.from, rc.addr, time.Now())
	msg := io.MultiReader(strings.NewReader(traceHeaders(ss.from, rc.addr)+received), src)
	res, err := ss.s.st.Append(ctx, rc.acc.ID, inbox.ID, msg, store.AppendOptions{})
	attrs := []any{"duration", time.Since(start).Round(time.Microsecond)}
	switch {
	case err == nil:
		log.Info("lmtp delivery", append(attrs, "outcome", "ok", "uid", res.Message.UID,
			"uidl", res.Message.UIDL, "size", res.Message.Size)...)
		return nil
	case errors.Is(err, store.ErrTooLarge) || (sticky != nil && sticky.tooBig()):
		log.Info("lmtp delivery", append(attrs, "outcome", "too big")...)
		return errTooBig
	default:
		log.Error("lmtp delivery", append(attrs, "outcome", "error", "err", err)...)
		return errTempStore
	}
}

// traceHeaders are the header lines prepended to each recipient's copy, as
// Dovecot's LMTP does (src/lmtp/lmtp-local.c, lmtp_local_deliver): a
// "Return-Path: <MAIL FROM>" line — the final-delivery trace of RFC 5321
// §4.4, with "<>" for a null reverse path — followed by "Delivered-To:"
// with that recipient's address, bare, as given in RCPT TO (Dovecot's
// default lmtp_hdr_delivery_address = final). The Received: line follows
// them, as in Dovecot (receivedHeader). Headers already in the message are
// left alone: malformed mail is stored, never altered.
func traceHeaders(from, to string) string {
	return "Return-Path: <" + from + ">\r\nDelivered-To: " + to + "\r\n"
}

// stickyReader remembers the first error of the connection's DATA reader,
// so that go-smtp's size limit is told apart from a store failure however
// the store wraps it.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

func (s *stickyReader) tooBig() bool {
	var se *smtp.SMTPError
	return errors.As(s.err, &se) && se.Code == smtp.ErrDataTooLarge.Code
}
