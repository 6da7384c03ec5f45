package netutil

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

var errTestClosed = errors.New("test server closed")

// TestListenersCloseStopsServe: Close ends every Serve with o.Closed, and a
// Serve after Close returns at once with the listener closed.
func TestListenersCloseStopsServe(t *testing.T) {
	var l Listeners
	opts := AcceptOptions{Name: "test", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Closed: errTestClosed}
	done := make(chan error, 2)
	var lns []net.Listener
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		go func() { done <- l.Serve(ln, opts, func(c net.Conn) bool { c.Close(); return true }) }()
	}
	// A connection is accepted while the set is open.
	c, err := net.DialTimeout("tcp", lns[0].Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	// Close may come before both Serves have registered: either way each
	// returns errTestClosed.
	l.Close()
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, errTestClosed) {
				t.Errorf("Serve returned %v, want %v", err, errTestClosed)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return after Close")
		}
	}
	if !l.Closed() {
		t.Error("Closed() is false after Close")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Serve(ln, opts, nil); !errors.Is(err, errTestClosed) {
		t.Errorf("Serve after Close: %v", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the listener given to Serve after Close is open: %v", err)
	}
}
