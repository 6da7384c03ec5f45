package netutil

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/internal/limits"
)

// TestLimitListener: the third connection from one address while two are
// open gets the refusal line and EOF; once one closes, a new one is
// accepted again.
func TestLimitListener(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := LimitListener(raw, limits.NewCounter(2), RefuseLine("-ERR [SYS/TEMP] too many connections\r\n"))
	defer ln.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			c.Write([]byte("+OK hello\r\n"))
			accepted <- c
		}
	}()
	dial := func() (net.Conn, string) {
		t.Helper()
		c, err := net.DialTimeout("tcp", raw.Addr().String(), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatalf("reading the first line: %v", err)
		}
		return c, line
	}
	c1, l1 := dial()
	c2, l2 := dial()
	if l1 != "+OK hello\r\n" || l2 != "+OK hello\r\n" {
		t.Fatalf("first two connections: got %q %q, want greetings", l1, l2)
	}
	c3, l3 := dial()
	if !strings.HasPrefix(l3, "-ERR [SYS/TEMP]") {
		t.Fatalf("third connection: got %q, want the refusal", l3)
	}
	if _, err := c3.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after the refusal: got %v, want EOF", err)
	}
	c3.Close()

	// The server closes the first connection: its slot is freed.
	(<-accepted).Close()
	c1.Close()
	<-accepted
	c4, l4 := dial()
	if l4 != "+OK hello\r\n" {
		t.Fatalf("after a close: got %q, want the greeting", l4)
	}
	c2.Close()
	c4.Close()
}

func TestLimitListenerNilCounter(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if LimitListener(raw, nil, nil) != raw {
		t.Fatal("a nil counter should leave the listener as it is")
	}
}
