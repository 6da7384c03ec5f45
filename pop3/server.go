package pop3

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrymail/ferrymail/internal/limits"
	"github.com/ferrymail/ferrymail/internal/netutil"
	"github.com/ferrymail/ferrymail/internal/observe"
	"github.com/ferrymail/ferrymail/store"
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("pop3 server closed")

// Defaults for the zero values of Options.
const (
	// DefaultIdleTimeout: RFC 1939 §3 "such a timer MUST be of at least 10
	// minutes' duration".
	DefaultIdleTimeout = 10 * time.Minute
	// DefaultAuthFailDelay slows down password guessing: each failed login
	// is answered only after it (the connection makes no progress meanwhile).
	DefaultAuthFailDelay = 2 * time.Second
	// DefaultMaxErrors: after this many client errors (unknown commands, bad
	// syntax, commands in the wrong state, failed logins) the session is
	// closed. Correct clients make none; a scanner or a confused peer (an
	// HTTP client, say) is sent away quickly.
	DefaultMaxErrors = 10
	// DefaultImplementation is the RFC 2449 §6.9 IMPLEMENTATION argument.
	DefaultImplementation = "Ferrymail"
)

// Options configure a Server. The zero value is a working plaintext server
// that accepts logins only on loopback connections.
type Options struct {
	// TLSConfig, when set, enables STLS (RFC 2595 §4). Connections accepted
	// from a TLS listener (POP3S) are secure from the start.
	TLSConfig *tls.Config
	// AllowInsecureAuth allows USER/PASS and AUTH on plaintext connections
	// that are not from loopback. Without it such logins are refused with
	// -ERR [AUTH] (and USER and SASL are not advertised there).
	AllowInsecureAuth bool
	// AuthFailDelay is the pause before a failed login is answered;
	// 0 means DefaultAuthFailDelay, a negative value none (tests).
	AuthFailDelay time.Duration
	// IdleTimeout ends a session that sends nothing for this long; 0 means
	// DefaultIdleTimeout. Values below 10 minutes break RFC 1939 §3 and are
	// for tests.
	IdleTimeout time.Duration
	// MaxErrors is the number of client errors after which the session is
	// closed; 0 means DefaultMaxErrors.
	MaxErrors int
	// Implementation is announced in CAPA; "" means DefaultImplementation.
	Implementation string
	// Observer receives connections, commands and logins (for metrics);
	// nil means none.
	Observer observe.Observer
	// LoginLimiter, shared with the other protocols, refuses logins from
	// an address that has failed too often of late; nil means none. (No
	// per-user session limit is needed: the maildrop lock of RFC 1939 §8
	// already allows one POP3 session per user.)
	LoginLimiter *limits.LoginLimiter
}

// Server is a POP3 server on a store. It is safe for concurrent use.
type Server struct {
	opts  Options
	store *store.Store
	log   *slog.Logger

	// ctx is cancelled by Close, so that store calls still running stop.
	ctx    context.Context
	cancel context.CancelFunc
	nextID atomic.Uint64

	lns netutil.Listeners

	mu       sync.Mutex
	sessions map[*session]struct{}
	locked   map[store.AccountID]*session // RFC 1939 §8 maildrop locks
	wg       sync.WaitGroup               // sessions
}

// New returns a server for st. The caller keeps owning st and closes it
// after the server.
func New(opts Options, st *store.Store, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.Default()
	}
	if opts.AuthFailDelay == 0 {
		opts.AuthFailDelay = DefaultAuthFailDelay
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = DefaultMaxErrors
	}
	if opts.Implementation == "" {
		opts.Implementation = DefaultImplementation
	}
	opts.Observer = observe.OrNop(opts.Observer)
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		opts: opts, store: st, log: logger, ctx: ctx, cancel: cancel,
		sessions: make(map[*session]struct{}),
		locked:   make(map[store.AccountID]*session),
	}
}

// Serve accepts connections on ln until Shutdown or Close, and then returns
// ErrServerClosed. It closes ln.
func (s *Server) Serve(ln net.Listener) error {
	return s.lns.Serve(ln, netutil.AcceptOptions{Name: "pop3", Log: s.log, Closed: ErrServerClosed}, s.ServeConn)
}

// ServeConn runs a session on an accepted connection in a new goroutine.
// It reports false (and closes nc) when the server is shutting down.
func (s *Server) ServeConn(nc net.Conn) bool {
	sess := s.newSession(nc)
	s.mu.Lock()
	// Checked under mu: Shutdown closes the listeners before it takes mu
	// to reach the sessions, so a session added here is one it sees.
	if s.lns.Closed() {
		s.mu.Unlock()
		nc.Close()
		s.opts.Observer.ConnRefused(observe.POP3, "shutdown")
		return false
	}
	s.sessions[sess] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	s.opts.Observer.ConnOpened(observe.POP3)
	go func() {
		defer s.wg.Done()
		sess.serve()
	}()
	return true
}

// Shutdown stops accepting connections, answers every session waiting for a
// command with "-ERR [SYS/TEMP]" and closes it, lets sessions in the middle
// of a command finish it, and waits for all of them until ctx ends. No
// session is in UPDATE because of a shutdown: its DELEs are not carried out.
func (s *Server) Shutdown(ctx context.Context) error {
	s.lns.Close()
	s.mu.Lock()
	for sess := range s.sessions {
		sess.interruptIfIdle()
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close closes the listeners and every connection at once, cancels store
// calls in progress, and waits for the sessions to end.
func (s *Server) Close() error {
	s.lns.Close()
	s.mu.Lock()
	for sess := range s.sessions {
		sess.raw.Close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// lock takes the maildrop lock of account a for sess (RFC 1939 §8). It
// reports false when another session holds it.
func (s *Server) lock(a store.AccountID, sess *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.locked[a]; taken {
		return false
	}
	s.locked[a] = sess
	return true
}

// release ends a session: it drops its maildrop lock, if it holds one, and
// forgets it.
func (s *Server) release(sess *session) {
	s.unlockMaildrop(sess)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sess)
	s.opts.Observer.ConnClosed(observe.POP3)
}

// unlockMaildrop drops the session's maildrop lock, if it holds one. QUIT
// calls it before its +OK is sent (RFC 1939 §6: the lock is released when
// the UPDATE state ends), so that a client that logs in again at once is
// not refused with [IN-USE] by a session that has already said goodbye.
func (s *Server) unlockMaildrop(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess.account.ID != 0 && s.locked[sess.account.ID] == sess {
		delete(s.locked, sess.account.ID)
	}
}

func (s *Server) newSession(nc net.Conn) *session {
	id := s.nextID.Add(1)
	sess := &session{
		srv:   s,
		raw:   nc,
		state: stateAuthorization,
		log:   s.log.With("cid", strconv.FormatUint(id, 10), "remote", nc.RemoteAddr().String()),
	}
	_, sess.tls = nc.(*tls.Conn)
	sess.local = isLocal(nc.RemoteAddr())
	sess.setConn(nc)
	return sess
}

// isLocal reports whether a peer is on this machine: loopback TCP or a
// unix socket. Only there is plaintext authentication allowed by default.
func isLocal(a net.Addr) bool {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	return false
}

// unlock drops sess's maildrop lock on a.
func (s *Server) unlock(a store.AccountID, sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked[a] == sess {
		delete(s.locked, a)
	}
}
