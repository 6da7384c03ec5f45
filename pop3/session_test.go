package pop3

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestPipelining: RFC 2449 §6.6, commands sent in one write are answered
// in order.
func TestPipelining(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	for _, b := range testBodies {
		e.deliver(b)
	}
	c := e.dial()
	c.send("USER " + testUser + "\r\nPASS " + testPass + "\r\nSTAT\r\nLIST\r\nUIDL 1\r\nRETR 1\r\nTOP 3 0\r\nDELE 2\r\nBOGUS\r\nNOOP\r\nRSET\r\nQUIT")
	for _, want := range []string{"+OK send PASS", "+OK maildrop has 3", "+OK 3 "} {
		if got := c.readLine(); !strings.HasPrefix(got, want) {
			t.Fatalf("got %q, want %q...", got, want)
		}
	}
	if got := c.readLine(); !strings.HasPrefix(got, "+OK 3 messages") {
		t.Fatalf("LIST: %q", got)
	}
	if n := len(c.readMulti()); n != 3 {
		t.Fatalf("LIST: %d lines", n)
	}
	if got := c.readLine(); !strings.HasPrefix(got, "+OK 1 ") {
		t.Fatalf("UIDL 1: %q", got)
	}
	c.readLine()
	if got := c.readMulti(); got[0] != "Subject: one" {
		t.Fatalf("RETR 1: %q", got)
	}
	c.readLine()
	if got := c.readMulti(); len(got) != 2 || got[0] != "Subject: three" {
		t.Fatalf("TOP 3 0: %q", got)
	}
	for _, want := range []string{"+OK message 2 deleted", "-ERR unknown command", "+OK", "+OK maildrop has 3", "+OK Ferrymail POP3 server signing off"} {
		if got := c.readLine(); !strings.HasPrefix(got, want) {
			t.Fatalf("got %q, want %q...", got, want)
		}
	}
	c.expectClosed()
}

func TestUnknownAndEmpty(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	c := e.dial()
	c.mustErr("HELO there", "-ERR unknown command")
	c.mustErr("", "-ERR empty command")
	c.mustErr("GET / HTTP/1.1", "-ERR unknown command")
	c.mustOK("capa") // keywords are case-insensitive
	c.readMulti()
}

func TestLineTooLong(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	c := e.dial()
	// Lenient: a line of maxLineLength octets (CRLF included) is read.
	c.mustOK("USER " + strings.Repeat("x", maxLineLength-7))
	c.send("USER " + strings.Repeat("x", maxLineLength))
	if got := c.readLine(); got != "-ERR line too long" {
		t.Fatalf("long line: %q", got)
	}
	c.expectClosed()
}

func TestTooManyErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AuthFailDelay: -1, MaxErrors: 3})
	c := e.dial()
	c.mustErr("X", "-ERR unknown command")
	c.mustErr("STAT", "-ERR STAT is not allowed")
	c.mustOK("CAPA") // a good command does not reset the count
	c.readMulti()
	if got := c.cmd("Y"); got != "-ERR unknown command (too many errors, closing the connection)" {
		t.Fatalf("third error: %q", got)
	}
	c.expectClosed()
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AuthFailDelay: -1, IdleTimeout: 100 * time.Millisecond})
	c := e.login()
	if got := c.readLine(); got != "-ERR autologout: idle for too long" {
		t.Fatalf("after idling: %q", got)
	}
	c.expectClosed()
}

// TestShutdown: idle sessions are told and closed; Serve returns; nothing
// a session marked is deleted.
func TestShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	e.deliver(testBodies[0])
	srv := New(testOptions(), e.st, quietLogger())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	e.addr = ln.Addr().String()
	idle := e.dial()
	busy := e.login()
	busy.mustOK("DELE 1")

	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, c := range []*client{idle, busy} {
		if got := c.readLine(); !strings.HasPrefix(got, "-ERR [SYS/TEMP] server shutting down") {
			t.Errorf("at shutdown: %q", got)
		}
		c.expectClosed()
	}
	select {
	case err := <-served:
		if !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(ioTimeout):
		t.Fatal("Serve did not return")
	}
	if n := len(e.messages()); n != 1 {
		t.Errorf("%d messages after shutdown, want 1", n)
	}
	if _, err := net.DialTimeout("tcp", e.addr, ioTimeout); err == nil {
		t.Errorf("still accepting after Shutdown")
	}
}

// TestState sends every command of the dispatch table in every state and
// checks that exactly the table's states accept it (CONVENTIONS §3).
func TestState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AuthFailDelay: -1, MaxErrors: 1000})
	e.deliver(testBodies[0])
	// Arguments that make each command succeed where it is allowed.
	args := map[string]string{
		"USER": testUser, "PASS": testPass, "APOP": "alice 0123456789abcdef0123456789abcdef",
		"LIST": "1", "RETR": "1", "DELE": "1", "TOP": "1 0", "UIDL": "1",
	}
	// Allowed, and still refused: APOP always, STLS without TLS configured.
	refused := map[string]bool{"APOP": true, "STLS": true}
	for _, st := range []state{stateAuthorization, stateTransaction} {
		for name, cmd := range commands {
			t.Run(fmt.Sprintf("%s/%s", st, name), func(t *testing.T) {
				c := e.dial()
				defer c.conn.Close()
				if st == stateTransaction {
					c.mustOK("USER " + testUser)
					c.mustOK("PASS " + testPass)
				} else if name == "PASS" {
					c.mustOK("USER " + testUser) // PASS follows USER
				}
				got := c.cmd(strings.TrimSpace(name + " " + args[name]))
				switch {
				case !cmd.states.has(st):
					want := fmt.Sprintf("-ERR %s is not allowed in the %s state", name, st)
					if got != want {
						t.Errorf("%q, want %q", got, want)
					}
				case refused[name]:
					if !strings.HasPrefix(got, "-ERR") || strings.Contains(got, "not allowed in") {
						t.Errorf("%q, want the command's own -ERR", got)
					}
				case !strings.HasPrefix(got, "+OK"):
					t.Errorf("%q, want +OK", got)
				}
			})
		}
	}
	// UPDATE accepts no command (the session ends after QUIT's answer):
	// a session put in UPDATE gets the state error for every command.
	cs, ss := net.Pipe()
	defer cs.Close()
	defer ss.Close()
	sess := e.srv.newSession(ss)
	var out bytes.Buffer
	sess.bw = bufio.NewWriter(&out)
	sess.state = stateUpdate
	for name := range commands {
		out.Reset()
		sess.dispatch(name)
		sess.bw.Flush()
		if want := fmt.Sprintf("-ERR %s is not allowed in the UPDATE state\r\n", name); out.String() != want {
			t.Errorf("%s in UPDATE: %q, want %q", name, out.String(), want)
		}
	}
}
