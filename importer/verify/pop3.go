package verify

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ferrymail/ferrymail/importer/remote"
)

// POP3ClientReader is a POP3Reader of its own: importer/pop3src's client
// is unexported, and verification needs only the greeting, STLS, USER/PASS,
// UIDL, LIST and QUIT (RFC 1939 §4–§7, RFC 2595 §4). It never sends RETR,
// TOP or DELE, and QUIT with nothing marked deleted removes nothing.
type POP3ClientReader struct{}

var _ POP3Reader = POP3ClientReader{}

// Limits on what the server may send.
const (
	// maxPOP3Line bounds a response line: RFC 2449 §4 allows 512 octets;
	// legacy servers send longer ones, so the bound is generous but finite.
	maxPOP3Line = 64 << 10
	// maxListing bounds the lines of one UIDL or LIST answer.
	maxListing = 10_000_000
)

// ReadPOP3 implements POP3Reader.
func (POP3ClientReader) ReadPOP3(ctx context.Context, e Endpoint) ([]POP3Entry, error) {
	c, err := dialPOP3(ctx, &e)
	if err != nil {
		return nil, err
	}
	defer c.conn.Close()
	stop := context.AfterFunc(ctx, func() { c.conn.Close() })
	defer stop()
	uidls, err := c.listing("UIDL")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Addr, err)
	}
	sizes, err := c.listing("LIST")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Addr, err)
	}
	bySeq := map[int]int64{}
	for _, l := range sizes {
		if n, err := strconv.ParseInt(l.arg, 10, 64); err == nil {
			bySeq[l.n] = n
		}
	}
	out := make([]POP3Entry, 0, len(uidls))
	for _, l := range uidls {
		size, ok := bySeq[l.n]
		if !ok {
			size = -1
		}
		out = append(out, POP3Entry{UIDL: l.arg, Size: size})
	}
	c.cmd("QUIT") // RFC 1939 §6: nothing is marked deleted, nothing goes
	return out, ctx.Err()
}

type pop3Conn struct {
	conn    net.Conn
	r       *bufio.Reader
	timeout time.Duration
}

func dialPOP3(ctx context.Context, e *Endpoint) (*pop3Conn, error) {
	fail := func(err error) error { return &ConnectError{Addr: e.Addr, Err: err} }
	d := net.Dialer{Timeout: e.timeout()}
	conn, tlsConf, err := remote.Dial(ctx, d.DialContext, e.Addr, e.TLS, e.InsecureSkipVerify)
	if err != nil {
		return nil, fail(fmt.Errorf("connecting: %w", err))
	}
	c := &pop3Conn{conn: conn, r: bufio.NewReader(conn), timeout: e.timeout()}
	if strings.ContainsAny(e.User+e.Password, "\r\n\x00") {
		conn.Close()
		return nil, fail(errors.New("the user name or password contains a line break or NUL"))
	}
	if _, err := c.status(); err != nil { // RFC 1939 §4: the greeting
		conn.Close()
		return nil, fail(fmt.Errorf("greeting: %w", err))
	}
	if e.TLS == remote.TLSStartTLS {
		if _, err := c.cmd("STLS"); err != nil {
			conn.Close()
			return nil, fail(fmt.Errorf("STLS: %w", err))
		}
		tc := tls.Client(conn, tlsConf)
		tc.SetDeadline(time.Now().Add(c.timeout))
		if err := tc.Handshake(); err != nil {
			conn.Close()
			return nil, fail(fmt.Errorf("TLS handshake: %w", err))
		}
		c.conn, c.r = tc, bufio.NewReader(tc)
	}
	// RFC 1939 §7: USER and PASS, the mechanism every server has.
	if _, err := c.cmd("USER " + e.User); err != nil {
		c.conn.Close()
		return nil, fail(fmt.Errorf("logging in as %q: %w", e.User, err))
	}
	if _, err := c.cmd("PASS " + e.Password); err != nil {
		c.conn.Close()
		return nil, fail(fmt.Errorf("logging in as %q: %w", e.User, err))
	}
	return c, nil
}

// cmd sends a line and reads the status line.
func (c *pop3Conn) cmd(line string) (string, error) {
	c.conn.SetDeadline(time.Now().Add(c.timeout))
	if _, err := c.conn.Write([]byte(line + "\r\n")); err != nil {
		return "", err
	}
	return c.status()
}

// status reads +OK (its text) or -ERR (an error with the server's text).
func (c *pop3Conn) status() (string, error) {
	line, err := c.line()
	if err != nil {
		return "", err
	}
	switch {
	case line == "+OK" || strings.HasPrefix(line, "+OK "):
		return strings.TrimPrefix(line[3:], " "), nil
	case line == "-ERR" || strings.HasPrefix(line, "-ERR "):
		return "", fmt.Errorf("server answered %q", line)
	}
	return "", fmt.Errorf("not a POP3 status line: %q", trunc(line))
}

func (c *pop3Conn) line() (string, error) {
	c.conn.SetDeadline(time.Now().Add(c.timeout))
	var buf []byte
	for {
		l, more, err := c.r.ReadLine()
		if err != nil {
			return "", err
		}
		if len(buf)+len(l) > maxPOP3Line {
			return "", fmt.Errorf("a line longer than %d bytes", maxPOP3Line)
		}
		buf = append(buf, l...)
		if !more {
			return string(buf), nil
		}
	}
}

// listed is one "n arg" line of a UIDL or LIST answer.
type listed struct {
	n   int
	arg string
}

// listing sends UIDL or LIST and reads the multi-line answer up to ".".
func (c *pop3Conn) listing(cmd string) ([]listed, error) {
	if _, err := c.cmd(cmd); err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	var out []listed
	for range maxListing {
		line, err := c.line()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cmd, err)
		}
		if line == "." {
			return out, nil
		}
		l, err := parseListingLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cmd, err)
		}
		out = append(out, l)
	}
	return nil, fmt.Errorf("%s: more than %d lines", cmd, maxListing)
}

// parseListingLine reads "msg-number value" (RFC 1939 §7 UIDL, §5 LIST;
// a leading "." is byte-stuffing, RFC 1939 §3). Verification refuses what
// it cannot read rather than skipping it: a skipped line would hide a
// difference.
func parseListingLine(line string) (listed, error) {
	line = strings.TrimPrefix(line, ".")
	f := strings.Fields(line)
	if len(f) < 2 {
		return listed{}, fmt.Errorf("not \"msg-number value\": %q", trunc(line))
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 {
		return listed{}, fmt.Errorf("not a message number: %q", trunc(line))
	}
	return listed{n: n, arg: f[1]}, nil
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
