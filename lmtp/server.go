package lmtp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/ferrymail/ferrymail/internal/observe"
	"github.com/ferrymail/ferrymail/store"
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("lmtp server closed")

// Defaults for the zero Options.
const (
	// DefaultMaxRecipients bounds the recipients of one transaction. RFC
	// 5321 §4.5.3.1.8 asks servers to accept at least 100.
	DefaultMaxRecipients = 100
	// DefaultTimeout is how long a command or a block of DATA may take to
	// arrive: RFC 5321 §4.5.3.2.7 gives a server 5 minutes.
	DefaultTimeout = 5 * time.Minute
)

// Options configure a Server. The zero value is a working configuration.
type Options struct {
	// Hostname is announced in the greeting; "" means os.Hostname().
	Hostname string
	// MaxMessageSize bounds one message in bytes (RFC 1870 SIZE, 552 when
	// exceeded); 0 means store.DefaultMaxMessageSize.
	MaxMessageSize int64
	// MaxRecipients: 0 means DefaultMaxRecipients.
	MaxRecipients int
	// Timeout bounds each read and write; 0 means DefaultTimeout.
	Timeout time.Duration
	// SpoolDir holds the temporary copy of a message for several
	// recipients (unlinked at once, mode 0600); "" means os.TempDir().
	SpoolDir string
	// Observer receives connections, commands and deliveries (for
	// metrics); nil means none.
	Observer observe.Observer
	// RecipientDelimiter: each of its bytes separates a user from a
	// detail in a recipient's local part (alice+lists@ → alice, see
	// splitDetail); "" means DefaultRecipientDelimiter.
	RecipientDelimiter string
}

// Server is an LMTP server that delivers into a store.
type Server struct {
	opts Options
	st   *store.Store
	log  *slog.Logger
	smtp *smtp.Server
	// drain ends idle connections at Shutdown (drain.go).
	drain *drainer

	mu     sync.Mutex
	closed bool
}

// New returns an LMTP server delivering into st. The caller keeps owning
// the store and closes it after the server.
func New(opts Options, st *store.Store, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.Default()
	}
	if opts.Hostname == "" {
		opts.Hostname, _ = os.Hostname()
		if opts.Hostname == "" {
			opts.Hostname = "localhost"
		}
	}
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = store.DefaultMaxMessageSize
	}
	if opts.MaxRecipients <= 0 {
		opts.MaxRecipients = DefaultMaxRecipients
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	opts.Observer = observe.OrNop(opts.Observer)
	if opts.RecipientDelimiter == "" {
		opts.RecipientDelimiter = DefaultRecipientDelimiter
	}
	s := &Server{opts: opts, st: st, log: logger, drain: newDrainer()}
	srv := smtp.NewServer(&backend{s: s})
	srv.LMTP = true // RFC 2033: LHLO, per-recipient replies after DATA
	srv.Domain = opts.Hostname
	srv.MaxMessageBytes = opts.MaxMessageSize
	srv.MaxRecipients = opts.MaxRecipients
	srv.ReadTimeout = opts.Timeout
	srv.WriteTimeout = opts.Timeout
	srv.ErrorLog = slogPrinter{logger}
	s.smtp = srv
	return s
}

// Serve accepts connections on ln until Shutdown or Close, and then returns
// ErrServerClosed. It closes ln.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		ln.Close()
		return ErrServerClosed
	}
	err := s.smtp.Serve(s.drain.listener(ln))
	ln.Close()
	if err == nil || s.isClosed() {
		return ErrServerClosed
	}
	return fmt.Errorf("accepting LMTP connections: %w", err)
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) markClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.closed
	s.closed = true
	return was
}

// Shutdown stops accepting connections, ends those between transactions
// with 421 (drain.go), and waits until the others have finished their
// transaction (a delivery in progress gets its 250s) and ended too, or
// ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.markClosed() {
		return nil
	}
	stop := make(chan struct{})
	defer close(stop)
	go s.drain.drainUntil(stop)
	if err := s.smtp.Shutdown(ctx); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return err
	}
	return nil
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.markClosed()
	if err := s.smtp.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// slogPrinter adapts go-smtp's Printf logger to slog (CONVENTIONS §12).
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	p.l.Warn(strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (p slogPrinter) Println(v ...any) {
	p.l.Warn(strings.TrimSpace(fmt.Sprintln(v...)))
}
