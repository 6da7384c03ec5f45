// Package server wires a Ferrymail server together: it opens the store,
// starts the listeners and runs them until asked to stop. Each listener is a
// service with the Serve/Shutdown/Close shape of net/http's Server; the IMAP
// and POP3 servers join the admin server in the list that Run builds.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrymail/ferrymail/imap"
	"github.com/ferrymail/ferrymail/internal/limits"
	"github.com/ferrymail/ferrymail/internal/observe"
	"github.com/ferrymail/ferrymail/lmtp"
	"github.com/ferrymail/ferrymail/pop3"
	"github.com/ferrymail/ferrymail/server/admin"
	"github.com/ferrymail/ferrymail/server/tlsconf"
	"github.com/ferrymail/ferrymail/store"
)

// DefaultDataDir is where the data lives when no directory is given.
const DefaultDataDir = "./ferrymail-data"

// DefaultShutdownTimeout bounds how long Run waits for requests in progress
// when it stops; after that they are cut off.
const DefaultShutdownTimeout = 10 * time.Second

// Options configure a Server. The zero value serves ./ferrymail-data and logs
// to slog.Default().
type Options struct {
	// DataDir holds the store and the admin socket; "" means DefaultDataDir.
	DataDir string
	// Logger receives every log line of the server and its store.
	Logger *slog.Logger
	// ShutdownTimeout: 0 means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// POP3Addr is the POP3 listener's address; "" means DefaultPOP3Addr.
	POP3Addr string
	// IMAPAddr is the IMAP listener's address; "" means DefaultIMAPAddr.
	IMAPAddr string
	// LMTPAddr is the LMTP listener's address (RFC 2033): "" means no
	// LMTP, "unix:/path" a Unix socket (mode 0660, see lmtpSocketMode)
	// at a path the administrator gives, anything else a TCP address.
	LMTPAddr string
	// RehashPasswords replaces an imported password hash ({SHA512-CRYPT}
	// …) with a native argon2id one at the user's next successful login
	// (store.Options.RehashOnLogin).
	RehashPasswords bool
	// IMAPSAddr and POP3SAddr are the implicit-TLS listeners (RFC 8314
	// §3.3); "" means none. They serve the same IMAP and POP3 servers as
	// the plain listeners.
	IMAPSAddr, POP3SAddr string
	// TLS: certificate files and STARTTLS (tls.go).
	TLS TLSOptions
	// AllowInsecureAuth lets clients off loopback log in without TLS
	// (imap.Options and pop3.Options.AllowInsecureAuth).
	AllowInsecureAuth bool
	// UIDLTemplate is store.Options.UIDLTemplate: "" means the default.
	UIDLTemplate string
	// Reload re-reads the TLS certificate files each time it receives
	// (cmd/ferrymail sends on SIGHUP); nil means never.
	Reload <-chan struct{}
	// MetricsAddr is the admin HTTP listener's address (Prometheus
	// /metrics and /healthz, docs/observability.md); "" means none. A
	// loopback address is recommended: the metrics are not authenticated.
	MetricsAddr string
	// Pprof serves net/http/pprof under /debug/pprof/ on the metrics
	// listener (profiling; loopback only).
	Pprof bool
	// Limits are the connection and login limits and the timeouts of
	// the [limits] section (listen_limits.go); the zero value limits
	// nothing.
	Limits limits.Config
}

// DefaultIMAPAddr: IMAP on loopback, on an unprivileged port (143 + 1000).
const DefaultIMAPAddr = "127.0.0.1:1143"

// DefaultPOP3Addr: POP3 on loopback, on an unprivileged port (110 + 1000).
const DefaultPOP3Addr = "127.0.0.1:1110"

// Server is a Ferrymail server: the store and everything that serves it.
type Server struct {
	opts Options
	log  *slog.Logger
}

// New returns a server; nothing is opened until Run.
func New(opts Options) *Server {
	if opts.DataDir == "" {
		opts.DataDir = DefaultDataDir
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.POP3Addr == "" {
		opts.POP3Addr = DefaultPOP3Addr
	}
	if opts.IMAPAddr == "" {
		opts.IMAPAddr = DefaultIMAPAddr
	}
	return &Server{opts: opts, log: opts.Logger}
}

// service is one listener's server.
type service interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
	Close() error
}

var (
	_ service = (*admin.Server)(nil)
	_ service = (*pop3.Server)(nil)
	_ service = (*imap.Server)(nil)
	_ service = (*lmtp.Server)(nil)
)

// listener pairs a service with the socket it serves.
type listener struct {
	name string
	srv  service
	ln   net.Listener
}

// Run opens the store, serves until ctx is cancelled, then stops the
// services and closes the store. It returns nil after a clean stop.
func (s *Server) Run(ctx context.Context) (err error) {
	dir := s.opts.DataDir
	st, err := store.Open(ctx, dir, store.Options{Logger: s.log, RehashOnLogin: s.opts.RehashPasswords, UIDLTemplate: s.opts.UIDLTemplate})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("data directory %s is in use by another process (is ferrymail serve already running?)", dir)
	}
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing store: %w", cerr)
		}
	}()
	s.warnIfShared(dir)

	// After store.Open: a self-signed certificate is kept in the data
	// directory, which now exists with mode 0700.
	cert, err := s.loadCertificate()
	if err != nil {
		return err
	}
	reloadCtx, stopReload := context.WithCancel(ctx)
	defer stopReload()
	go s.reloadOnSignal(reloadCtx, cert)

	listeners, err := s.listen(st, cert)
	if err != nil {
		return err
	}
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { errc <- fmt.Errorf("serving %s: %w", l.name, l.srv.Serve(l.ln)) }()
	}
	abs, _ := filepath.Abs(dir)
	s.log.Info("ferrymail ready", "data", abs, "admin", admin.SocketPath(abs))

	running := len(listeners)
	select {
	case <-ctx.Done():
		s.log.Info("ferrymail stopping")
	case err = <-errc:
		// A service stopped on its own: stop the others too.
		running--
		s.log.Error("ferrymail stopping", "err", err)
	}
	s.shutdown(listeners)
	// Every Serve returns once its listener is closed; wait for them so
	// that nothing touches the store after it is closed.
	for ; running > 0; running-- {
		<-errc
	}
	return err
}

// listen creates every listener and its service. The admin socket comes
// first; IMAP and POP3 are added here, each with its implicit-TLS listener
// when one is configured (cert is then not nil).
func (s *Server) listen(st *store.Store, cert *tlsconf.Certificate) ([]listener, error) {
	var tlsConfig, startTLSConfig *tls.Config
	if cert != nil {
		tlsConfig = cert.ServerConfig()
		if s.opts.TLS.StartTLS != StartTLSOff {
			startTLSConfig = tlsConfig
		}
	}

	ln, err := admin.Listen(admin.SocketPath(s.opts.DataDir))
	if err != nil {
		return nil, err
	}
	adm := admin.New(st, s.log.With("listener", "admin"))
	listeners := []listener{{name: "admin", srv: adm, ln: ln}}

	obs, metricsLn, err := s.listenMetrics(st)
	if err != nil {
		closeListeners(listeners)
		return nil, err
	}
	if metricsLn != nil {
		listeners = append(listeners, *metricsLn)
	}
	adm.SetObserver(obs)
	// One failed-login limiter for every protocol (internal/limits).
	logins := s.opts.Limits.LoginLimiter()

	pop3srv := pop3.New(pop3.Options{Observer: obs, TLSConfig: startTLSConfig, AllowInsecureAuth: s.opts.AllowInsecureAuth,
		LoginLimiter: logins, IdleTimeout: s.opts.Limits.POP3IdleTimeout}, st, s.log.With("listener", "pop3"))
	imapsrv := imap.New(imap.Options{Observer: obs, TLSConfig: startTLSConfig, AllowInsecureAuth: s.opts.AllowInsecureAuth,
		LoginLimiter: logins, MaxConnectionsPerUser: s.opts.Limits.MaxConnectionsPerUser}, st, s.log.With("listener", "imap"))
	for _, p := range []struct {
		name, addr, tlsAddr string
		srv                 service
		refuse              func(net.Conn)
	}{
		{observe.POP3, s.opts.POP3Addr, s.opts.POP3SAddr, pop3srv, refusePOP3},
		{observe.IMAP, s.opts.IMAPAddr, s.opts.IMAPSAddr, imapsrv, refuseIMAP},
	} {
		pair, err := s.listenPair(p.name, p.addr, p.tlsAddr, tlsConfig, p.srv, p.refuse, obs)
		if err != nil {
			closeListeners(listeners)
			return nil, err
		}
		listeners = append(listeners, pair...)
	}

	if s.opts.LMTPAddr != "" {
		lmtpln, err := listenLMTP(s.opts.LMTPAddr)
		if err != nil {
			closeListeners(listeners)
			return nil, err
		}
		s.log.Info("listening", "service", "lmtp", "addr", lmtpln.Addr().String())
		lmtpsrv := lmtp.New(lmtp.Options{Observer: obs, Timeout: s.opts.Limits.LMTPTimeout}, st, s.log.With("listener", "lmtp"))
		listeners = append(listeners, listener{name: "lmtp", srv: lmtpsrv, ln: s.limitListener(lmtpln, observe.LMTP, refuseLMTP(), obs)})
	}
	return listeners, nil
}

// listenPair opens a protocol's plain listener, with the per-address limit
// and refuse as its refusal, and when tlsAddr is set its implicit-TLS twin
// ("imaps", "pop3s"; RFC 8314 §3.3); both serve srv. Each bound address is
// logged, so that ":0" can be found out.
func (s *Server) listenPair(name, addr, tlsAddr string, tlsConfig *tls.Config, srv service, refuse func(net.Conn), obs observe.Observer) ([]listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for %s on %s: %w", strings.ToUpper(name), addr, err)
	}
	s.log.Info("listening", "service", name, "addr", ln.Addr().String())
	pair := []listener{{name: name, srv: srv, ln: s.limitListener(ln, name, refuse, obs)}}
	if tlsAddr == "" {
		return pair, nil
	}
	tln, err := s.listenTLS(tlsAddr, tlsConfig, name, obs)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("listening for %sS on %s: %w", strings.ToUpper(name), tlsAddr, err)
	}
	s.log.Info("listening", "service", name+"s", "addr", tln.Addr().String())
	return append(pair, listener{name: name + "s", srv: srv, ln: tln}), nil
}

// closeListeners closes listeners that were opened before a later one failed.
func closeListeners(listeners []listener) {
	for _, l := range listeners {
		l.ln.Close()
	}
}

// shutdown stops all services, giving requests in progress the shutdown
// timeout to finish.
func (s *Server) shutdown(listeners []listener) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	// A server with an implicit-TLS listener is in the list twice; its
	// Shutdown closes all its listeners, and is called once.
	stopped := make(map[service]bool)
	for _, l := range listeners {
		if stopped[l.srv] {
			continue
		}
		stopped[l.srv] = true
		if err := l.srv.Shutdown(ctx); err != nil {
			s.log.Warn("stopping "+l.name, "err", err)
			l.srv.Close()
		}
	}
}

// warnIfShared warns when other users can enter the data directory: the
// store created it 0700, and someone has since widened it.
func (s *Server) warnIfShared(dir string) {
	fi, err := os.Stat(dir)
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		s.log.Warn("data directory is accessible to other users; 0700 is expected", "data", dir, "mode", fi.Mode().Perm())
	}
}
