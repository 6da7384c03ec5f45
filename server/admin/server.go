package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/internal/netutil"
	"github.com/ferrymail/ferrymail/internal/observe"
	"github.com/ferrymail/ferrymail/store"
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("admin server closed")

// Server answers admin requests (see protocol.go) by calling a Local.
type Server struct {
	api *Local
	log *slog.Logger
	obs observe.Observer // see SetObserver

	// ctx is cancelled by Close, so that store calls still running stop.
	ctx    context.Context
	cancel context.CancelFunc

	lns netutil.Listeners

	mu    sync.Mutex
	conns map[net.Conn]bool // value: a request is being answered
	wg    sync.WaitGroup    // connection handlers
}

// New returns an admin server on an open store. The caller keeps owning the
// store and closes it after the server.
func New(st *store.Store, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		api: NewLocal(st), log: logger, obs: observe.Nop{}, ctx: ctx, cancel: cancel,
		conns: make(map[net.Conn]bool),
	}
}

// Serve accepts connections on ln until Shutdown or Close, and then returns
// ErrServerClosed. It closes ln.
func (s *Server) Serve(ln net.Listener) error {
	return s.lns.Serve(ln, netutil.AcceptOptions{Name: "admin", Log: s.log, Closed: ErrServerClosed}, s.track)
}

// track registers an accepted connection and serves it in a new goroutine.
// It reports false (and closes nc) when the server is shutting down.
func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	// Checked under mu: Shutdown closes the listeners before it takes mu
	// to reach the connections, so one added here is one it sees.
	if s.lns.Closed() {
		s.mu.Unlock()
		nc.Close()
		return false
	}
	s.conns[nc] = false
	s.wg.Add(1)
	s.mu.Unlock()
	go s.handle(nc)
	return true
}

// setBusy marks a connection as answering a request (or not). It reports
// false when the server is shutting down and the connection should end.
func (s *Server) setBusy(c net.Conn, busy bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lns.Closed() {
		return false
	}
	s.conns[c] = busy
	return true
}

// handle reads requests from one connection and answers them in order.
func (s *Server) handle(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 4096), maxRequestLine)
	enc := json.NewEncoder(c) // Encode ends each response with "\n"
	for sc.Scan() {
		if !s.setBusy(c, true) {
			return
		}
		resp, goOn := s.answer(c, enc, sc.Bytes())
		err := enc.Encode(resp)
		if !s.setBusy(c, false) || err != nil || !goOn {
			return
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		err := fmt.Errorf("%w: request longer than %d bytes", ErrBadRequest, maxRequestLine)
		enc.Encode(response{Error: toWire(err)})
	}
}

// answer decodes and runs one request, logging one line for it. The
// password is never logged. It reports false when the connection cannot
// go on after the response (an import whose client went away).
func (s *Server) answer(c net.Conn, enc *json.Encoder, line []byte) (response, bool) {
	start := time.Now()
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		err = fmt.Errorf("%w: %v", ErrBadRequest, err)
		s.log.Warn("admin request", "err", err)
		return response{Error: toWire(err)}, true
	}
	var result any
	var err error
	goOn := true
	if req.Op == opImport {
		result, goOn, err = s.importStreaming(c, enc, req)
	} else {
		result, err = s.dispatch(req)
	}
	attrs := []any{"op", req.Op, "duration", time.Since(start).Round(time.Microsecond)}
	if req.User != "" {
		attrs = append(attrs, "user", req.User)
	}
	if req.Import != nil {
		src := req.Import.Path
		if req.Import.Format == FormatPOP3 {
			src = "pop3://" + req.Import.RemoteUser + "@" + req.Import.Host
		}
		attrs = append(attrs, "format", req.Import.Format, "source", src)
	}
	s.observeRequest(req.Op, time.Since(start), result, err)
	if err != nil {
		s.log.Info("admin request", append(attrs, "outcome", "error", "err", err)...)
		return response{Error: toWire(err)}, goOn
	}
	s.log.Info("admin request", append(attrs, "outcome", "ok")...)
	return response{Result: result}, goOn
}

// dispatch runs one request on the Local.
func (s *Server) dispatch(req request) (any, error) {
	ctx := s.ctx
	switch req.Op {
	case opUserAdd:
		return s.api.AddUser(ctx, req.User, req.Password)
	case opUserList:
		return s.api.Users(ctx)
	case opUserPasswd:
		return nil, s.api.SetPassword(ctx, req.User, req.Password)
	case opUserDelete:
		return nil, s.api.DeleteUser(ctx, req.User)
	case opUserImport:
		if req.UserHash == nil {
			return nil, fmt.Errorf("%w: user.import without user_hash", ErrBadRequest)
		}
		return s.api.ImportUser(ctx, *req.UserHash)
	case opMailboxList:
		return s.api.Mailboxes(ctx, req.User)
	case opMessageList:
		return s.api.Messages(ctx, req.User, req.Mailbox)
	}
	return nil, fmt.Errorf("%w: unknown operation %q", ErrBadRequest, req.Op)
}

// progressWriteTimeout bounds writing one progress line. A client that
// stays connected but stops reading would otherwise hold the import (and
// Shutdown) for ever; one that cannot take a line in this long is treated
// as gone.
const progressWriteTimeout = 30 * time.Second

// importStreaming runs an import request, writing a progress line for each
// report of the importer. The import is cancelled when the client closes
// the connection, a progress line cannot be written, or the server is
// closed. It reports false when the connection cannot go on.
func (s *Server) importStreaming(c net.Conn, enc *json.Encoder, req request) (any, bool, error) {
	if req.Import == nil {
		return nil, true, fmt.Errorf("%w: import without its parameters", ErrBadRequest)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	stopWatch := watchClose(c, cancel)
	goOn := true
	progress := func(p importer.Progress) {
		if !goOn {
			return
		}
		c.SetWriteDeadline(time.Now().Add(progressWriteTimeout))
		err := enc.Encode(response{Progress: p})
		c.SetWriteDeadline(time.Time{})
		if err != nil {
			goOn = false
			cancel()
		}
	}
	rep, err := s.api.Import(ctx, *req.Import, progress)
	if !stopWatch() {
		goOn = false
	}
	if err != nil {
		return nil, goOn, err
	}
	return rep, goOn, nil
}

// watchClose cancels an import when its client closes the connection (or,
// against the protocol, sends anything) while the import runs: the
// connection is read only between requests otherwise. The returned stop
// ends the watch and reports whether the connection may go on.
func watchClose(c net.Conn, cancel context.CancelFunc) (stop func() bool) {
	var stopping atomic.Bool
	done := make(chan bool, 1)
	go func() {
		var b [1]byte
		_, err := c.Read(b[:])
		if stopping.Load() && errors.Is(err, os.ErrDeadlineExceeded) {
			done <- true
			return
		}
		cancel()
		done <- false
	}()
	return func() bool {
		stopping.Store(true)
		c.SetReadDeadline(time.Unix(1, 0))
		ok := <-done
		c.SetReadDeadline(time.Time{})
		return ok
	}
}

// Shutdown stops accepting connections, closes idle ones, and waits for the
// requests being answered to finish. When ctx ends first, it closes
// everything as Close does and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.lns.Close()
	s.mu.Lock()
	for c, busy := range s.conns {
		if !busy {
			c.Close()
		}
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Close stops the server at once: listeners and connections are closed and
// store calls still running are cancelled. It waits for the handlers to end.
func (s *Server) Close() error {
	s.lns.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}
