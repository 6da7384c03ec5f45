package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// maxLineLength bounds a command line, CRLF included. RFC 2449 §4: "The
// maximum length of a command line is 255 octets, including the terminating
// CRLF". We are lenient (a few clients send long AUTH PLAIN initial
// responses and long user names), yet bounded: a longer line ends the
// session.
const maxLineLength = 1024

// writeBufferSize is the send buffer; RETR streams through it.
const writeBufferSize = 32 << 10

// readBufferSize must exceed maxLineLength: a whole command line fits.
const readBufferSize = 4 << 10

// writeTimeout bounds one write to a client that stopped reading.
const writeTimeout = 5 * time.Minute

// errLineTooLong ends a session whose client sent a line over maxLineLength.
var errLineTooLong = errors.New("line too long")

// session is one POP3 connection. Its fields are used by its own goroutine
// only, except those under mu.
type session struct {
	srv *Server
	raw net.Conn // the accepted connection: deadlines and Close
	log *slog.Logger

	conn  net.Conn // raw, or the TLS connection on top of it after STLS
	br    *bufio.Reader
	bw    *bufio.Writer
	tls   bool // the connection is encrypted
	local bool // the peer is on this machine (loopback)

	state   state
	user    string        // name given by USER, waiting for PASS
	account store.Account // after login
	drop    *maildrop     // after login
	strikes int           // client errors so far (Options.MaxErrors)
	done    bool          // QUIT answered: end the session
	copyBuf []byte        // RETR copy buffer
	topRd   *bufio.Reader // TOP line reader, reused

	// counters for the logout log line
	retrieved int

	mu       sync.Mutex
	idle     bool // waiting for a command
	shutdown bool // the server is shutting down
}

// setConn (re)builds the buffered reader and writer on c.
func (s *session) setConn(c net.Conn) {
	s.conn = c
	s.br = bufio.NewReaderSize(c, readBufferSize)
	s.bw = bufio.NewWriterSize(deadlineWriter{c: c, raw: s.raw}, writeBufferSize)
}

// deadlineWriter gives each write to the connection a fresh deadline, so
// that a long RETR to a slow but live client is not cut off, and a client
// that stopped reading is.
type deadlineWriter struct {
	c   net.Conn
	raw net.Conn
}

func (w deadlineWriter) Write(p []byte) (int, error) {
	w.raw.SetWriteDeadline(time.Now().Add(writeTimeout))
	return w.c.Write(p)
}

// interruptIfIdle is called by Shutdown, under Server.mu: a session waiting
// for a command is woken up (and says goodbye); a busy one finishes its
// command first.
func (s *session) interruptIfIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdown = true
	if s.idle {
		s.raw.SetReadDeadline(time.Now())
	}
}

// serve runs the session until QUIT, an error, or shutdown.
func (s *session) serve() {
	defer s.srv.release(s)
	defer s.raw.Close()
	start := time.Now()
	s.log.Debug("pop3 connection", "tls", s.tls)
	defer func() {
		s.log.Info("pop3 session end", "state", s.state, "retrieved", s.retrieved, "duration", time.Since(start))
	}()

	// RFC 1939 §4. No timestamp: APOP is not offered (see package doc).
	s.line("+OK Ferrymail POP3 server ready")
	for !s.done {
		if !s.flushIfDrained() {
			return
		}
		line, err := s.readCommand()
		if err != nil {
			s.endOnReadError(err)
			return
		}
		if !s.dispatch(line) {
			s.bw.Flush()
			return
		}
	}
	s.bw.Flush()
}

// flushIfDrained sends the buffered responses unless a whole further
// command is already waiting: pipelined commands (RFC 2449 §6.6) are
// answered in one write.
func (s *session) flushIfDrained() bool {
	if n := s.br.Buffered(); n > 0 {
		if b, _ := s.br.Peek(n); bytes.IndexByte(b, '\n') >= 0 {
			return true
		}
	}
	if err := s.bw.Flush(); err != nil {
		s.log.Debug("pop3 write", "err", err)
		return false
	}
	return true
}

// readCommand waits for the next command line, marked idle for Shutdown.
func (s *session) readCommand() (string, error) {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		return "", errShutdown
	}
	s.idle = true
	// Set under mu, so that Shutdown's deadline is not overwritten.
	s.raw.SetReadDeadline(time.Now().Add(s.srv.opts.IdleTimeout))
	s.mu.Unlock()
	line, err := s.readLine()
	s.mu.Lock()
	s.idle = false
	shutdown := s.shutdown
	s.mu.Unlock()
	if err != nil && shutdown {
		return "", errShutdown
	}
	return line, err
}

var errShutdown = errors.New("server shutting down")

// readLine reads one line of at most maxLineLength octets and returns it
// without its CRLF (a bare LF is accepted too).
func (s *session) readLine() (string, error) {
	b, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(b) > maxLineLength {
		return "", errLineTooLong
	}
	if err != nil {
		return "", err
	}
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return string(b), nil
}

// endOnReadError says why the session ends, where the client can still
// hear it.
func (s *session) endOnReadError(err error) {
	switch {
	case errors.Is(err, errShutdown):
		s.line("-ERR [" + CodeSysTemp + "] server shutting down, try again later")
		s.log.Debug("pop3 session interrupted by shutdown")
	case errors.Is(err, errLineTooLong):
		s.line("-ERR line too long")
		s.log.Info("pop3 line too long")
	case errors.Is(err, os.ErrDeadlineExceeded):
		// RFC 1939 §3: an autologout timer ends the session without
		// entering the UPDATE state.
		s.line("-ERR autologout: idle for too long")
		s.log.Info("pop3 idle timeout")
	case errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed):
		if s.state == stateTransaction {
			s.log.Info("pop3 connection dropped without QUIT: nothing deleted")
		}
		return
	default:
		s.log.Debug("pop3 read", "err", err)
		return
	}
	s.bw.Flush()
}

// dispatch runs one command line through the dispatch table and answers it.
// It reports false when the session must end.
func (s *session) dispatch(line string) bool {
	start, before := time.Now(), s.state
	name, arg, _ := strings.Cut(line, " ")
	name = strings.ToUpper(name)
	cmd, known := commands[name]
	var err error
	switch {
	case name == "":
		err = badf("empty command")
	case !known:
		err = badf("unknown command")
		name = "unknown"
	case !cmd.states.has(s.state):
		// The one state check (CONVENTIONS §3).
		err = badf("%s is not allowed in the %s state", name, s.state)
	default:
		err = cmd.run(s, arg)
	}
	keep, outcome := true, "ok"
	if err != nil {
		keep, outcome = s.respondError(err)
	}
	s.observeCommand(name, before, outcome, time.Since(start), err)
	// One line per command (CONVENTIONS §12), at Error only when the
	// server failed. Credentials (PASS, AUTH, APOP arguments) are never
	// logged.
	level := slog.LevelInfo
	if outcome == "error" {
		level = slog.LevelError
	}
	if !s.log.Enabled(s.srv.ctx, level) {
		return keep
	}
	attrs := []any{"cmd", name, "state", s.state, "duration", time.Since(start), "outcome", outcome}
	if known && !cmd.secret && arg != "" && len(arg) <= 64 {
		attrs = append(attrs, "args", arg)
	}
	if err != nil {
		attrs = append(attrs, "err", err.Error())
	}
	s.log.Log(s.srv.ctx, level, "pop3 command", attrs...)
	return keep
}

// fatalError: the connection is unusable (a write failed, or a message
// stream broke after +OK was sent). The session ends without a response.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// respondError turns a handler's error into the wire response: the one
// place where "-ERR [CODE] text" is written (CONVENTIONS §5). It reports
// whether the session goes on, and the outcome for the log: "no" (an
// ordinary -ERR), "bad" (a client error that counts towards MaxErrors),
// "error" (the server failed), "dropped" (the connection is unusable).
func (s *session) respondError(err error) (keep bool, outcome string) {
	var fe *fatalError
	if errors.As(err, &fe) {
		return false, "dropped"
	}
	var pe *Error
	if !errors.As(err, &pe) {
		// Internal: the detail goes to the log (dispatch), the client
		// hears only that it was us.
		s.line("-ERR [" + CodeSysTemp + "] internal server error, try again later")
		return true, "error"
	}
	text := pe.Text
	keep = !pe.Close
	if pe.Strike {
		s.strikes++
		if s.strikes >= s.srv.opts.MaxErrors {
			text += " (too many errors, closing the connection)"
			keep = false
		}
	}
	if pe.Code != "" {
		text = "[" + pe.Code + "] " + text
	}
	s.line("-ERR " + text)
	if pe.Strike {
		return keep, "bad"
	}
	return keep, "no"
}

// line writes one response line; write errors surface at the next flush.
func (s *session) line(text string) {
	s.bw.WriteString(text)
	s.bw.WriteString("\r\n")
}

// ok writes "+OK text".
func (s *session) ok(text string) error {
	if text == "" {
		s.line("+OK")
	} else {
		s.line("+OK " + text)
	}
	return nil
}
