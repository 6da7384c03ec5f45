package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/internal/limits"
	"github.com/ferrymail/ferrymail/internal/netutil"
	"github.com/ferrymail/ferrymail/internal/observe"
	"github.com/ferrymail/ferrymail/store"
)

// Defaults for Options.
const (
	// DefaultFailedLoginDelay slows down password guessing: every failed
	// LOGIN or AUTHENTICATE waits this long before it answers.
	DefaultFailedLoginDelay = time.Second
	// DefaultAppendLimit is the largest message APPEND accepts (RFC 7889
	// APPENDLIMIT). It matches the store's default bound on one message.
	DefaultAppendLimit = store.DefaultMaxMessageSize
)

// Options configure a Server. The zero value serves plaintext connections,
// allows authentication only on loopback, and uses the defaults above.
type Options struct {
	// TLSConfig enables STARTTLS (RFC 9051 §6.2.1) when set.
	TLSConfig *tls.Config
	// AllowInsecureAuth allows LOGIN and AUTHENTICATE on plaintext
	// connections from any address. Without it, only loopback and TLS
	// connections may authenticate; others see LOGINDISABLED (RFC 9051 §6.2.3).
	AllowInsecureAuth bool
	// FailedLoginDelay: 0 means DefaultFailedLoginDelay, negative means none
	// (tests).
	FailedLoginDelay time.Duration
	// AppendLimit bounds an APPENDed message in bytes; 0 means DefaultAppendLimit.
	AppendLimit uint32
	// Observer receives connections, commands and logins (for metrics);
	// nil means none.
	Observer observe.Observer
	// LoginLimiter, shared with the other protocols, refuses logins from
	// an address that has failed too often of late; nil means none.
	LoginLimiter *limits.LoginLimiter
	// MaxConnectionsPerUser bounds the sessions one account has logged in
	// at once (NO [LIMIT] beyond it); 0 means no limit.
	MaxConnectionsPerUser int
}

// Server is an IMAP server on a store. It has the Serve/Shutdown/Close shape
// of net/http's Server.
type Server struct {
	opts    Options
	store   *store.Store
	log     *slog.Logger
	perUser *limits.Counter // Options.MaxConnectionsPerUser

	// Two protocol engines that differ only in InsecureAuth: imapserver
	// decides whether a connection may authenticate with a type assertion
	// on *tls.Conn (GO-IMAP-NOTES §3), so the policy "TLS, loopback or
	// AllowInsecureAuth" is applied by handing each accepted connection to
	// the engine that matches it. The library then advertises LOGINDISABLED
	// and refuses LOGIN/AUTHENTICATE ([PRIVACYREQUIRED]) exactly where our
	// policy says so, and STARTTLS lifts it.
	open, strict *imapserver.Server
	// openLn and strictLn hand accepted connections to the engines. Each
	// engine serves its listener from New to Close: imapserver's Close
	// races with a Serve that is starting (a WaitGroup Add against Wait),
	// so it is never called; Close ends the engines' listeners and
	// connections itself.
	openLn, strictLn *chanListener

	mu       sync.Mutex
	sessions map[*session]struct{}
	lns      map[net.Listener]struct{}
	shutdown atomic.Bool
	nextID   atomic.Uint64

	// preauth, set only by tests (the fuzzer), starts every session
	// authenticated as this account with a PREAUTH greeting, to skip the
	// cost of a password hash per input.
	preauth *store.Account
	// contentReads counts messages opened for their bytes or structure
	// (tests check that SEARCH on flags, dates and sizes opens none).
	contentReads atomic.Int64
}

// capabilities advertised (besides those the library always adds:
// SASL-IR RFC 4959, LITERAL- RFC 7888, UNSELECT RFC 3691, ENABLE RFC 5161,
// IDLE RFC 2177, UTF8=ACCEPT RFC 6855, APPENDLIMIT RFC 7889 via
// SessionAppendLimit).
var caps = imap.CapSet{
	imap.CapIMAP4rev1:        {}, // RFC 3501
	imap.CapIMAP4rev2:        {}, // RFC 9051
	imap.CapNamespace:        {}, // RFC 2342
	imap.CapUIDPlus:          {}, // RFC 4315
	imap.CapESearch:          {}, // RFC 4731
	imap.CapSearchRes:        {}, // RFC 5182
	imap.CapListExtended:     {}, // RFC 5258
	imap.CapListStatus:       {}, // RFC 5819
	imap.CapMove:             {}, // RFC 6851
	imap.CapStatusSize:       {}, // RFC 8438
	imap.CapBinary:           {}, // RFC 3516
	imap.CapChildren:         {}, // RFC 3348
	imap.CapSpecialUse:       {}, // RFC 6154
	imap.CapCreateSpecialUse: {}, // RFC 6154 §3
	imap.CapLiteralPlus:      {}, // RFC 7888
	imap.CapUnauthenticate:   {}, // RFC 8437
}

// New returns a server on st. log receives one line per command.
func New(opts Options, st *store.Store, log *slog.Logger) *Server {
	if opts.FailedLoginDelay == 0 {
		opts.FailedLoginDelay = DefaultFailedLoginDelay
	}
	if opts.AppendLimit == 0 {
		opts.AppendLimit = DefaultAppendLimit
	}
	opts.Observer = observe.OrNop(opts.Observer)
	if log == nil {
		log = slog.Default()
	}
	s := &Server{opts: opts, store: st, log: log,
		sessions: make(map[*session]struct{}), lns: make(map[net.Listener]struct{}),
		perUser: limits.NewCounter(opts.MaxConnectionsPerUser)}
	mk := func(insecure bool) *imapserver.Server {
		return imapserver.New(&imapserver.Options{
			NewSession:   s.newSession,
			Caps:         caps,
			Logger:       slogPrintf{log},
			TLSConfig:    opts.TLSConfig,
			InsecureAuth: insecure,
		})
	}
	s.open, s.strict = mk(true), mk(false)
	s.openLn, s.strictLn = newChanListener(nil), newChanListener(nil)
	go s.open.Serve(s.openLn)
	go s.strict.Serve(s.strictLn)
	return s
}

// slogPrintf adapts go-imap's Printf-style Logger to slog.
type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(format string, args ...any) {
	msg := "imapserver: " + fmt.Sprintf(format, args...)
	if strings.Contains(format, "panic") {
		l.log.Error(msg)
		return
	}
	l.log.Warn(msg)
}

// Serve accepts connections on ln until it is closed. It returns
// net.ErrClosed after Shutdown or Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shutdown.Load() {
		s.mu.Unlock()
		ln.Close()
		return net.ErrClosed
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
	}()

	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			if s.shutdown.Load() {
				return net.ErrClosed
			}
			return err
		}
		delay = 0
		if _, tracked := netutil.FindIdleConn(c); !tracked {
			if _, isTLS := c.(*tls.Conn); !isTLS {
				// For Shutdown (betweenCommands). An implicit-TLS
				// connection must stay a *tls.Conn for imapserver; the
				// listener under its TLS tracks it instead
				// (server.observedLimitListener).
				c = netutil.TrackIdle(c)
			}
		}
		if _, isTLS := c.(*tls.Conn); !isTLS {
			// Not under implicit TLS: imapserver must see the *tls.Conn
			// to know the connection is secure.
			c = newCorkConn(c)
		}
		if s.opts.AllowInsecureAuth || isLoopback(c.RemoteAddr()) {
			s.openLn.deliver(c)
		} else {
			s.strictLn.deliver(c)
		}
	}
}

func isLoopback(a net.Addr) bool {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	return a.Network() == "pipe" || a.Network() == "unix"
}

// Shutdown stops accepting connections, says BYE to every session (the
// library answers a command in progress first: Bye takes its write lock)
// and waits until they are gone or ctx ends; then it closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdown.Store(true)
	s.mu.Lock()
	for ln := range s.lns {
		ln.Close()
	}
	s.mu.Unlock()
	// BYE (RFC 9051 §7.1.5) goes to each session once it waits for a
	// command, so that a command in progress — an APPEND whose message is
	// being stored — is answered first; a session in IDLE waits for DONE
	// and gets it at once.
	byeSent := make(map[*session]bool)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		n := len(s.sessions)
		for sess := range s.sessions {
			if !byeSent[sess] && sess.betweenCommands() {
				byeSent[sess] = true
				go sess.conn.Bye("Server shutting down")
			}
		}
		s.mu.Unlock()
		if n == 0 {
			return s.Close()
		}
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.shutdown.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for ln := range s.lns {
		ln.Close()
	}
	s.openLn.Close()
	s.strictLn.Close()
	for sess := range s.sessions {
		sess.conn.NetConn().Close()
	}
	return nil
}

func (s *Server) track(sess *session, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.sessions[sess] = struct{}{}
	} else {
		delete(s.sessions, sess)
	}
}

// chanListener hands connections accepted by Serve to one imapserver engine.
type chanListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// deliver hands c to the engine, or closes it when the engine is gone.
func (l *chanListener) deliver(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr {
	if l.addr == nil {
		return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
	}
	return l.addr
}
