package netutil

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"
)

func TestIdleConnWaiting(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ic := TrackIdle(a)
	if ic.Waiting() {
		t.Fatal("waiting before any Read")
	}
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 1)
		ic.Read(buf)
		close(done)
	}()
	// Waiting becomes true once the Read has started: poll, bounded.
	for i := 0; !ic.Waiting(); i++ {
		if i > 1000 {
			t.Fatal("never waiting while a Read blocks")
		}
		time.Sleep(time.Millisecond)
	}
	b.Write([]byte("x"))
	<-done
	if ic.Waiting() {
		t.Fatal("still waiting after the Read returned")
	}
}

func TestFindIdleConn(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ic := TrackIdle(a)
	if got, ok := FindIdleConn(ic); !ok || got != ic {
		t.Fatal("not found on itself")
	}
	if got, ok := FindIdleConn(tls.Server(ic, &tls.Config{})); !ok || got != ic {
		t.Fatal("not found under TLS")
	}
	counted := &countedConn{Conn: ic, release: func() {}}
	if got, ok := FindIdleConn(tls.Server(counted, &tls.Config{})); !ok || got != ic {
		t.Fatal("not found under TLS and a counted connection")
	}
	if _, ok := FindIdleConn(a); ok {
		t.Fatal("found on an untracked connection")
	}
}

// TestIdleConnCloseNoReset: the server writes a goodbye and closes while
// the client's next command is arriving unread; the client still reads
// the goodbye and then EOF, not a reset, and the server's blocked Read
// fails instead of returning the command.
func TestIdleConnCloseNoReset(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	client.SetDeadline(time.Now().Add(30 * time.Second))
	raw, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	srv := TrackIdle(raw)
	readErr := make(chan error, 1)
	go func() {
		// The server waits for a command; the client's bytes below arrive
		// only after Close began, so this Read must fail.
		for i := 0; !srv.closing.Load(); i++ {
			if i > 30000 {
				break
			}
			time.Sleep(time.Millisecond / 10)
		}
		_, err := srv.Read(make([]byte, 100))
		readErr <- err
	}()
	if _, err := srv.Write([]byte("* BYE going away\r\n")); err != nil {
		t.Fatal(err)
	}
	// Unread client data at close time is what makes a plain close reset.
	if _, err := client.Write([]byte("a1 NOOP\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // let it reach the server's buffer; not a timing assertion
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	b, err := io.ReadAll(client)
	if err != nil {
		t.Fatalf("client: %v after %q (want the goodbye, then EOF)", err, b)
	}
	if string(b) != "* BYE going away\r\n" {
		t.Fatalf("client read %q", b)
	}
	client.Close()
	<-closed
	if err := <-readErr; err == nil {
		t.Fatal("the server's Read returned the command after Close")
	}
}
