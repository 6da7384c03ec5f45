package imap

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/internal/netutil"
	"github.com/ferrymail/ferrymail/internal/observe"
	"github.com/ferrymail/ferrymail/store"
)

// session is one IMAP connection. imapserver runs its commands one at a
// time; only Idle runs in a goroutine of its own, while the connection
// goroutine waits for DONE, so the selected view has a mutex for Idle's sake
// only.
type session struct {
	srv    *Server
	conn   *imapserver.Conn
	log    *slog.Logger // with "user" once authenticated
	base   *slog.Logger // without
	ctx    context.Context
	cancel context.CancelFunc

	acct *store.Account // nil until authenticated
	// userSlot gives back acct's place under MaxConnectionsPerUser.
	userSlot func()
	// sel is the selected mailbox's view, nil when none. It is atomic
	// because imapserver may return from IDLE on a read error without
	// waiting for the Idle goroutine, and then call Close beside it.
	sel atomic.Pointer[selected]
}

var (
	_ imapserver.SessionIMAP4rev2      = (*session)(nil)
	_ imapserver.SessionUnauthenticate = (*session)(nil)
	_ imapserver.SessionAppendLimit    = (*session)(nil)
)

func (s *Server) newSession(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	if s.shutdown.Load() {
		s.opts.Observer.ConnRefused(observe.IMAP, "shutdown")
		return nil, nil, &imap.Error{Type: imap.StatusResponseTypeBye, Text: "Server shutting down"}
	}
	ctx, cancel := context.WithCancel(context.Background())
	sess := &session{
		srv:    s,
		conn:   c,
		ctx:    ctx,
		cancel: cancel,
		log:    s.log.With("cid", s.nextID.Add(1), "remote", c.NetConn().RemoteAddr().String()),
	}
	sess.base = sess.log
	s.track(sess, true)
	s.opts.Observer.ConnOpened(observe.IMAP)
	sess.log.Debug("imap connection")
	if s.preauth != nil {
		sess.acct = s.preauth
		sess.log = sess.base.With("user", s.preauth.Name)
		return sess, &imapserver.GreetingData{PreAuth: true}, nil
	}
	return sess, nil, nil
}

// betweenCommands reports whether the connection waits for the client
// (netutil.IdleConn): no command is in progress. An untracked connection
// counts as waiting.
func (s *session) betweenCommands() bool {
	ic, ok := netutil.FindIdleConn(s.conn.NetConn())
	return !ok || ic.Waiting()
}

// Close is called by imapserver when the connection ends.
func (s *session) Close() error {
	s.unselect()
	s.releaseUser()
	s.cancel()
	s.srv.track(s, false)
	s.srv.opts.Observer.ConnClosed(observe.IMAP)
	return nil
}

// AppendLimit implements imapserver.SessionAppendLimit (RFC 7889): the
// limit advertised in CAPABILITY. imapserver also checks APPEND literals
// against it, but when it refuses one it then waits for a command line
// that a client holding a synchronising literal never sends (and with
// LITERAL+ it would read the literal's bytes as commands): the client gets
// no answer. So imapserver's own check is given no limit and Append
// refuses an oversized literal itself, with NO [TOOBIG], after imapserver
// has read and discarded it.
func (s *session) AppendLimit() uint32 {
	if calledFrom("imapserver.(*Conn).handleAppend") {
		return math.MaxUint32
	}
	return s.srv.opts.AppendLimit
}

// calledFrom reports whether AppendLimit's caller is the named function;
// TestProtocolLimits fails if a library upgrade changes the name.
func calledFrom(fn string) bool {
	pc, _, _, ok := runtime.Caller(2)
	if !ok {
		return false
	}
	f := runtime.FuncForPC(pc)
	return f != nil && strings.HasSuffix(f.Name(), fn)
}

// logCmd writes the one log line per command (CONVENTIONS §12); use it as
// defer s.logCmd("NAME", time.Now(), &err).
func (s *session) logCmd(name string, start time.Time, errp *error) {
	outcome := "ok"
	level := slog.LevelInfo
	var ierr *imap.Error
	switch err := *errp; {
	case err == nil:
	case errors.As(err, &ierr):
		outcome = string(ierr.Type)
		if ierr.Code != "" {
			outcome += " [" + string(ierr.Code) + "]"
		}
	default:
		outcome, level = "error", slog.LevelError
	}
	d := time.Since(start)
	s.observeCommand(name, d, *errp)
	attrs := []any{"cmd", name, "duration", d, "outcome", outcome}
	if level == slog.LevelError {
		attrs = append(attrs, "err", *errp)
	}
	s.log.Log(s.ctx, level, "imap command", attrs...)
}

// Protocol errors. Handlers return these (or what storeErr makes of a store
// error); imapserver writes them as the tagged response.
func errNo(code imap.ResponseCode, text string) error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
}

func errBad(text string) error {
	return &imap.Error{Type: imap.StatusResponseTypeBad, Code: imap.ResponseCodeClientBug, Text: text}
}

var (
	errReadOnly   = errNo("READ-ONLY", "Mailbox is selected read-only") // RFC 9051 §7.1
	errNoMailbox  = errNo(imap.ResponseCodeNonExistent, "No such mailbox")
	errServerBug  = errNo(imap.ResponseCodeServerBug, "Internal server error")
	errNotAllowed = errNo(imap.ResponseCodeCannot, "Not allowed")
)

// storeErr maps a store error to the client's answer (RFC 5530 response
// codes). Internal errors are logged and answered without detail.
func (s *session) storeErr(err error) error {
	var ierr *imap.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ierr):
		return err
	case errors.Is(err, store.ErrMailboxNotFound):
		return errNoMailbox
	case errors.Is(err, store.ErrMailboxExists):
		return errNo(imap.ResponseCodeAlreadyExists, "Mailbox already exists")
	case errors.Is(err, store.ErrInvalidMailboxName):
		return errNo(imap.ResponseCodeCannot, "Invalid mailbox name")
	case errors.Is(err, store.ErrHasChildren):
		return errNo(imap.ResponseCodeHasChildren, "Mailbox has children") // RFC 9051 §7.1
	case errors.Is(err, store.ErrInboxSpecial):
		return errNo(imap.ResponseCodeCannot, "INBOX cannot be deleted or renamed")
	case errors.Is(err, store.ErrInvalidSpecialUse):
		return errNo(imap.ResponseCode("USEATTR"), "Invalid special-use attribute") // RFC 6154 §3
	case errors.Is(err, store.ErrInvalidFlag):
		return errBad("Invalid flag")
	case errors.Is(err, store.ErrTooManyKeywords):
		return errNo(imap.ResponseCodeLimit, "Too many keywords in this mailbox")
	case errors.Is(err, store.ErrTooLarge):
		return errNo(imap.ResponseCodeTooBig, "Message too large")
	case errors.Is(err, store.ErrUIDSpaceExhausted):
		return errNo(imap.ResponseCodeLimit, "Mailbox is out of UIDs")
	case errors.Is(err, context.Canceled):
		return errNo(imap.ResponseCodeUnavailable, "Connection closing")
	}
	s.log.Error("imap store error", "err", err)
	return errServerBug
}
