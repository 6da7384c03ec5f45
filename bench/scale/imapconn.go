package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// A minimal IMAP client, written for measuring: it sends one command,
// reads the response to its tagged status and counts what came back. It
// knows the syntax it needs (RFC 9051 §7: untagged lines, literals
// "{n}\r\n", tagged status) and nothing more, so both servers are timed by
// the same code.

// maxLine bounds one response line (literals excluded); a FETCH FLAGS line
// is short, a SEARCH line of 1,000,000 UIDs is not, hence 64 MiB.
const maxLine = 64 << 20

type imapConn struct {
	c   net.Conn
	r   *bufio.Reader
	tag int
}

// reply is what one command brought back.
type reply struct {
	status   string // OK, NO or BAD
	lines    int    // untagged lines
	bytes    int64  // response bytes, literals included
	searched []byte // the last "* SEARCH" line's UIDs, if any
}

func dialIMAP(addr string, timeout time.Duration) (*imapConn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	ic := &imapConn{c: c, r: bufio.NewReaderSize(c, 64<<10)}
	c.SetDeadline(time.Now().Add(timeout))
	var n int64
	line, err := readResponseLine(ic.r, &n)
	c.SetDeadline(time.Time{})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if !bytes.HasPrefix(line, []byte("* OK")) {
		c.Close()
		return nil, fmt.Errorf("greeting %q", line)
	}
	return ic, nil
}

func (ic *imapConn) Close() error { return ic.c.Close() }

// cmd sends a command and reads to its tagged status, within timeout.
func (ic *imapConn) cmd(timeout time.Duration, format string, args ...any) (reply, error) {
	ic.tag++
	tag := "s" + strconv.Itoa(ic.tag)
	ic.c.SetDeadline(time.Now().Add(timeout))
	defer ic.c.SetDeadline(time.Time{})
	if _, err := fmt.Fprintf(ic.c, tag+" "+format+"\r\n", args...); err != nil {
		return reply{}, err
	}
	return readReply(ic.r, tag)
}

// readReply reads untagged responses up to the status line of tag.
func readReply(r *bufio.Reader, tag string) (reply, error) {
	var rep reply
	for {
		line, err := readResponseLine(r, &rep.bytes)
		if err != nil {
			return rep, err
		}
		if rest, ok := bytes.CutPrefix(line, []byte(tag+" ")); ok {
			status, _, _ := bytes.Cut(rest, []byte(" "))
			rep.status = string(status)
			if rep.status != "OK" {
				return rep, fmt.Errorf("%s", line)
			}
			return rep, nil
		}
		rep.lines++
		if uids, ok := bytes.CutPrefix(line, []byte("* SEARCH")); ok {
			rep.searched = bytes.TrimSpace(uids)
		}
		if bytes.HasPrefix(line, []byte("* BYE")) {
			return rep, fmt.Errorf("server said %s", line)
		}
	}
}

// readResponseLine reads one response line with its literals (returned in
// place, without the CRLF), adding every byte to *n.
func readResponseLine(r *bufio.Reader, n *int64) ([]byte, error) {
	var out []byte
	for {
		part, err := readLineLimited(r)
		*n += int64(len(part)) + 2
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
		size, ok := literalSize(part)
		if !ok {
			return out, nil
		}
		if size > maxLine {
			return nil, fmt.Errorf("literal of %d bytes", size)
		}
		// Grown as bytes arrive, not allocated from the announced size.
		var lit bytes.Buffer
		if _, err := io.CopyN(&lit, r, int64(size)); err != nil {
			return nil, err
		}
		*n += int64(size)
		out = append(out, lit.Bytes()...)
	}
}

// literalSize recognises a line ending in "{n}" or "{n+}" (RFC 7888).
func literalSize(line []byte) (int, bool) {
	if len(line) < 3 || line[len(line)-1] != '}' {
		return 0, false
	}
	open := bytes.LastIndexByte(line, '{')
	if open < 0 {
		return 0, false
	}
	digits := bytes.TrimSuffix(line[open+1:len(line)-1], []byte("+"))
	v, err := strconv.Atoi(string(digits))
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}

var errLongLine = errors.New("response line too long")

func readLineLimited(r *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		frag, err := r.ReadSlice('\n')
		out = append(out, frag...)
		if len(out) > maxLine {
			return nil, errLongLine
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return nil, err
		}
		return bytes.TrimSuffix(bytes.TrimSuffix(out, []byte("\n")), []byte("\r")), nil
	}
}

// login logs in and selects mailbox (when not "").
func login(addr, mailbox string, timeout time.Duration) (*imapConn, error) {
	ic, err := dialIMAP(addr, timeout)
	if err != nil {
		return nil, err
	}
	if _, err := ic.cmd(timeout, "LOGIN %s %s", userName, userPassword); err != nil {
		ic.Close()
		return nil, fmt.Errorf("LOGIN: %w", err)
	}
	if mailbox != "" {
		if _, err := ic.cmd(timeout, "SELECT %s", mailbox); err != nil {
			ic.Close()
			return nil, fmt.Errorf("SELECT: %w", err)
		}
	}
	return ic, nil
}

// idle sends IDLE and waits for the continuation (RFC 2177).
func (ic *imapConn) idle(timeout time.Duration) error {
	ic.tag++
	ic.c.SetDeadline(time.Now().Add(timeout))
	defer ic.c.SetDeadline(time.Time{})
	if _, err := fmt.Fprintf(ic.c, "s%d IDLE\r\n", ic.tag); err != nil {
		return err
	}
	for {
		var n int64
		line, err := readResponseLine(ic.r, &n)
		if err != nil {
			return err
		}
		if bytes.HasPrefix(line, []byte("+")) {
			return nil
		}
		if !bytes.HasPrefix(line, []byte("* ")) {
			return fmt.Errorf("IDLE: %s", line)
		}
	}
}
