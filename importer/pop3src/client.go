package pop3src

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/ferrymail/ferrymail/importer/remote"
)

// A small POP3 client, written here: no maintained Go POP3 client library
// is served by the module proxy (github.com/knadh/go-pop3, the usual
// suggestion, is refused by proxy.golang.org), and the importer needs only
// a handful of standard commands, sent strictly as RFC 1939 spells them,
// with tolerant reading of the answers.
//
// Commands sent: CAPA (RFC 2449 §5; -ERR tolerated), STLS (RFC 2595 §4),
// USER/PASS (RFC 1939 §7) or AUTH PLAIN (RFC 5034, RFC 4616), UIDL, LIST,
// RETR (RFC 1939 §5, §7), TOP n 0 (RFC 1939 §7, only to attach UIDLs) and
// QUIT. Never DELE: the source is not altered.

// Limits on what the server may send.
const (
	// maxLine bounds a response line: RFC 2449 §4 allows 512 octets for a
	// response line; legacy servers send longer multi-line lines, so the
	// bound is generous, but finite against a babbling peer.
	maxLine = 64 << 10
	// maxListing bounds the lines of one UIDL or LIST answer (a mailbox of
	// ten million messages): a server that never ends a listing is cut off.
	maxListing = 10_000_000
)

// Error is a -ERR answer: the server said no.
type Error struct {
	Cmd  string // the command, without arguments that are secrets
	Text string // the server's text after -ERR
}

func (e *Error) Error() string { return fmt.Sprintf("%s: server answered -ERR %s", e.Cmd, e.Text) }

// client is one POP3 connection in the TRANSACTION state.
type client struct {
	conn    net.Conn
	r       *textproto.Reader
	w       *bufio.Writer
	timeout time.Duration
	capa    map[string]string // capability → its arguments; nil if CAPA failed
	warn    func(string)
	stop    func() bool // stops closing the connection when the context ends
}

// dial connects, secures and authenticates.
func dial(ctx context.Context, o *Options, warn func(string)) (*client, error) {
	conn, tlsConf, err := remote.Dial(ctx, o.Dial, o.Addr, o.TLS, o.InsecureSkipVerify)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", o.Addr, err)
	}
	c := &client{conn: conn, timeout: o.Timeout, warn: warn}
	c.reset(conn)
	// Cancelling the import (Ctrl-C, the admin connection closed) ends a
	// read or write that waits for the server at once.
	c.stop = context.AfterFunc(ctx, func() { conn.Close() })
	if err := c.login(o, tlsConf); err != nil {
		c.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return c, nil
}

// close drops the connection without QUIT.
func (c *client) close() {
	c.stop()
	c.conn.Close()
}

func (c *client) reset(conn net.Conn) {
	c.conn = conn
	c.r = textproto.NewReader(bufio.NewReaderSize(conn, 32<<10))
	c.w = bufio.NewWriter(conn)
}

func (c *client) login(o *Options, tlsConf *tls.Config) error {
	// A CR or LF would end the command line early and send the rest as
	// another command.
	if strings.ContainsAny(o.User, "\r\n\x00") || strings.ContainsAny(o.Password, "\r\n\x00") {
		return errors.New("the user name or password contains a line break or NUL")
	}
	// RFC 1939 §4: the greeting is a positive response.
	if _, err := c.status("greeting"); err != nil {
		return err
	}
	c.capabilities()
	if o.TLS == remote.TLSStartTLS {
		if _, err := c.cmd("STLS", "STLS"); err != nil {
			return fmt.Errorf("starting TLS: %w", err)
		}
		tc := tls.Client(c.conn, tlsConf)
		c.deadline()
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		c.reset(tc)
		// RFC 2595 §4: the client MUST discard cached capabilities after
		// STLS.
		c.capabilities()
	}
	_, hasUser := c.capa["USER"]
	plain := false
	for _, m := range strings.Fields(c.capa["SASL"]) {
		plain = plain || strings.EqualFold(m, "PLAIN")
	}
	if plain && !hasUser {
		// RFC 5034 §4 with an initial response; RFC 4616 §2 message.
		ir := base64.StdEncoding.EncodeToString([]byte("\x00" + o.User + "\x00" + o.Password))
		if _, err := c.cmd("AUTH PLAIN", "AUTH PLAIN "+ir); err != nil {
			return fmt.Errorf("logging in as %q: %w", o.User, err)
		}
		return nil
	}
	// RFC 1939 §7: USER and PASS, the one mechanism every server has.
	if _, err := c.cmd("USER", "USER "+o.User); err != nil {
		return fmt.Errorf("logging in as %q: %w", o.User, err)
	}
	if _, err := c.cmd("PASS", "PASS "+o.Password); err != nil {
		return fmt.Errorf("logging in as %q: %w", o.User, err)
	}
	return nil
}

// capabilities asks CAPA (RFC 2449 §5). A server without it (RFC 1939
// only) answers -ERR: then nothing is known, which is fine.
func (c *client) capabilities() {
	c.capa = nil
	if _, err := c.cmd("CAPA", "CAPA"); err != nil {
		return
	}
	c.capa = map[string]string{}
	c.lines("CAPA", func(line string) bool {
		name, args, _ := strings.Cut(line, " ")
		c.capa[strings.ToUpper(name)] = args
		return true
	})
}

func (c *client) deadline() {
	if c.timeout > 0 {
		c.conn.SetDeadline(time.Now().Add(c.timeout))
	}
}

// cmd sends a command line and reads its status line. name is what errors
// show (never the password).
func (c *client) cmd(name, line string) (string, error) {
	c.deadline()
	if _, err := c.w.WriteString(line + "\r\n"); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if err := c.w.Flush(); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return c.status(name)
}

// status reads a status line: +OK (RFC 1939 §3) returns its text, -ERR an
// *Error. Anything else is a broken conversation.
func (c *client) status(name string) (string, error) {
	c.deadline()
	line, err := c.readLine()
	if err != nil {
		return "", fmt.Errorf("%s: reading the answer: %w", name, err)
	}
	switch {
	case line == "+OK" || strings.HasPrefix(line, "+OK "):
		return strings.TrimPrefix(strings.TrimPrefix(line, "+OK"), " "), nil
	case line == "-ERR" || strings.HasPrefix(line, "-ERR "):
		return "", &Error{Cmd: name, Text: strings.TrimPrefix(strings.TrimPrefix(line, "-ERR"), " ")}
	}
	return "", fmt.Errorf("%s: %w: %q", name, errProtocol, trunc(line))
}

var errProtocol = errors.New("POP3 protocol error")

// lines reads a multi-line answer up to its "." line (RFC 1939 §3),
// dot-unstuffed, calling f for each line; f returning false stops the
// calls but not the reading.
func (c *client) lines(name string, f func(string) bool) error {
	call := true
	for n := 0; ; n++ {
		c.deadline()
		line, err := c.readLine()
		if err != nil {
			return fmt.Errorf("%s: reading the listing: %w", name, err)
		}
		if line == "." {
			return nil
		}
		if n > maxListing {
			return fmt.Errorf("%s: more than %d lines", name, maxListing)
		}
		line = strings.TrimPrefix(line, ".")
		if call {
			call = f(line)
		}
	}
}

// entry is one line of a UIDL or LIST answer.
type entry struct {
	n   int
	arg string
}

// listing sends UIDL or LIST and parses "n arg" lines (RFC 1939 §7 and
// §5). A line that is not of that form is skipped with a warning.
func (c *client) listing(cmd string) ([]entry, error) {
	if _, err := c.cmd(cmd, cmd); err != nil {
		return nil, err
	}
	var out []entry
	err := c.lines(cmd, func(line string) bool {
		f := strings.Fields(line)
		n, err := strconv.Atoi(firstOr(f))
		if len(f) < 2 || err != nil || n < 1 {
			c.warn(fmt.Sprintf("%s: skipped a line that is not \"msg-number value\": %q", cmd, trunc(line)))
			return true
		}
		out = append(out, entry{n: n, arg: f[1]})
		return true
	})
	return out, err
}

// retr sends RETR n (RFC 1939 §5) and returns the message, dot-unstuffed,
// with CRLF read as LF (textproto.DotReader; the store writes CRLF back).
// It must be read to its end before the next command.
func (c *client) retr(n int) (io.Reader, error) {
	if _, err := c.cmd("RETR", "RETR "+strconv.Itoa(n)); err != nil {
		return nil, err
	}
	return &deadlineReader{c: c, r: c.r.DotReader()}, nil
}

// top sends TOP n 0 (RFC 1939 §7, optional): the header and the empty line
// after it. Like retr's, the reader must be read to its end. A server
// without TOP answers -ERR (an *Error).
func (c *client) top(n int) (io.Reader, error) {
	if _, err := c.cmd("TOP", "TOP "+strconv.Itoa(n)+" 0"); err != nil {
		return nil, err
	}
	return &deadlineReader{c: c, r: c.r.DotReader()}, nil
}

// quit ends the session politely (RFC 1939 §6: no message is marked
// deleted, so the UPDATE state removes nothing).
func (c *client) quit() {
	c.cmd("QUIT", "QUIT")
	c.close()
}

// deadlineReader renews the I/O deadline before each read.
type deadlineReader struct {
	c *client
	r io.Reader
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	d.c.deadline()
	return d.r.Read(p)
}

// readLine reads a line without its end (CRLF or a bare LF), refusing
// one longer than maxLine so that a babbling peer cannot make it buffer
// without bound. Message bodies are not read by lines (DotReader).
func (c *client) readLine() (string, error) {
	var buf []byte
	for {
		l, more, err := c.r.R.ReadLine()
		if err != nil {
			return "", err
		}
		if len(buf)+len(l) > maxLine {
			return "", fmt.Errorf("%w: a line longer than %d bytes", errProtocol, maxLine)
		}
		buf = append(buf, l...)
		if !more {
			return string(buf), nil
		}
	}
}

func firstOr(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
