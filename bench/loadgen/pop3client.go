package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// A small POP3 client (RFC 1939), enough for a load: USER/PASS, UIDL,
// RETR, QUIT, and STLS (RFC 2595 §4). importer/pop3src has its own,
// unexported and built for importing; this one is built to measure: no
// spooling, bytes counted and thrown away.

// Limits on what a server may send.
const (
	// pop3MaxLine bounds a line: RFC 2449 §4 allows 512 octets for a
	// response line, message lines are up to 998 (RFC 5322 §2.1.1);
	// generous, but finite against a babbling peer.
	pop3MaxLine = 64 << 10
	// pop3MaxListing bounds the lines of one UIDL answer.
	pop3MaxListing = 10_000_000
	// pop3Timeout bounds each response.
	pop3Timeout = 30 * time.Second
)

// pop3Error is a -ERR answer.
type pop3Error struct{ cmd, text string }

func (e *pop3Error) Error() string { return fmt.Sprintf("%s: -ERR %s", e.cmd, e.text) }

type pop3Conn struct {
	nc net.Conn
	br *bufio.Reader
}

// dialPOP3 connects as cfg says and reads the greeting; the end of ctx
// interrupts it.
func dialPOP3(ctx context.Context, cfg *Config) (*pop3Conn, error) {
	d := &net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	if cfg.TLS == TLSImplicit {
		tc := tls.Client(nc, cfg.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	c := &pop3Conn{nc: nc, br: bufio.NewReader(nc)}
	if _, err := c.status("greeting"); err != nil {
		nc.Close()
		return nil, err
	}
	if cfg.TLS == TLSStartTLS {
		if _, err := c.cmd("STLS", "STLS"); err != nil {
			nc.Close()
			return nil, err
		}
		tc := tls.Client(nc, cfg.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("STLS: %w", err)
		}
		c.nc, c.br = tc, bufio.NewReader(tc)
	}
	return c, nil
}

// cmd sends line and reads the status answer; name is what errors say
// (never the password).
func (c *pop3Conn) cmd(name, line string) (string, error) {
	c.nc.SetDeadline(time.Now().Add(pop3Timeout))
	if _, err := io.WriteString(c.nc, line+"\r\n"); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return c.status(name)
}

func (c *pop3Conn) status(name string) (string, error) {
	c.nc.SetDeadline(time.Now().Add(pop3Timeout))
	return readStatus(c.br, name)
}

// readStatus reads a +OK or -ERR line (RFC 1939 §3) and returns the text
// after +OK.
func readStatus(br *bufio.Reader, name string) (string, error) {
	line, err := readLine(br)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case line == "+OK" || strings.HasPrefix(line, "+OK "):
		return strings.TrimPrefix(strings.TrimPrefix(line, "+OK"), " "), nil
	case line == "-ERR" || strings.HasPrefix(line, "-ERR "):
		return "", &pop3Error{cmd: name, text: strings.TrimPrefix(strings.TrimPrefix(line, "-ERR"), " ")}
	}
	return "", fmt.Errorf("%s: not a POP3 status line: %.60q", name, line)
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line, without its CRLF (or bare LF).
func readLine(br *bufio.Reader) (string, error) {
	line, err := readLineBytes(br)
	return string(line), err
}

// readLineBytes reads one line into the reader's buffer where it fits;
// the slice is valid until the next read.
func readLineBytes(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// Longer than the buffer: gather it, bounded.
		buf := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(buf) <= pop3MaxLine {
			line, err = br.ReadSlice('\n')
			buf = append(buf, line...)
		}
		if len(buf) > pop3MaxLine {
			return nil, errLineTooLong
		}
		line = buf
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
	return line, nil
}

// readMultiline reads the lines of a multi-line answer up to the "."
// line (RFC 1939 §3), undoing dot-stuffing, and gives each to f (the slice
// is valid only during the call). It returns the number of octets the
// lines hold, CRLFs counted as RETR's octet count does.
func readMultiline(br *bufio.Reader, f func(line []byte) error) (int64, error) {
	var n int64
	for i := 0; ; i++ {
		if i > pop3MaxListing {
			return n, fmt.Errorf("multi-line answer of more than %d lines", pop3MaxListing)
		}
		line, err := readLineBytes(br)
		if err != nil {
			return n, err
		}
		if len(line) > 0 && line[0] == '.' {
			if len(line) == 1 {
				return n, nil
			}
			line = line[1:]
		}
		n += int64(len(line)) + 2
		if f != nil {
			if err := f(line); err != nil {
				return n, err
			}
		}
	}
}

// uidlEntry is one line of a UIDL listing.
type uidlEntry struct {
	num  int
	uidl string
}

// parseUIDLLine reads "N UIDL" (RFC 1939 §7): a message number and a
// unique-id of 1 to 70 characters in 0x21–0x7E.
func parseUIDLLine(line []byte) (uidlEntry, error) {
	num, uidl, ok := bytes.Cut(bytes.TrimSpace(line), []byte(" "))
	if !ok {
		return uidlEntry{}, fmt.Errorf("UIDL line %.60q: want NUMBER UIDL", line)
	}
	n, err := strconv.Atoi(string(num))
	if err != nil || n < 1 {
		return uidlEntry{}, fmt.Errorf("UIDL line %.60q: bad message number", line)
	}
	uidl = bytes.TrimSpace(uidl)
	if len(uidl) < 1 || len(uidl) > 70 || bytes.ContainsFunc(uidl, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return uidlEntry{}, fmt.Errorf("UIDL line %.60q: bad unique-id", line)
	}
	return uidlEntry{num: n, uidl: string(uidl)}, nil
}

// uidl sends UIDL and returns the listing.
func (c *pop3Conn) uidl() ([]uidlEntry, error) {
	if _, err := c.cmd("UIDL", "UIDL"); err != nil {
		return nil, err
	}
	var out []uidlEntry
	_, err := readMultiline(c.br, func(line []byte) error {
		e, err := parseUIDLLine(line)
		out = append(out, e)
		return err
	})
	return out, err
}

// retr sends RETR n and reads the message, returning its size.
func (c *pop3Conn) retr(n int) (int64, error) {
	if _, err := c.cmd("RETR", "RETR "+strconv.Itoa(n)); err != nil {
		return 0, err
	}
	return readMultiline(c.br, nil)
}
