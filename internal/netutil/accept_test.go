package netutil

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
)

var errShutdown = errors.New("server closed")

func loop(t *testing.T, closing *atomic.Bool, serve func(net.Conn) bool) (net.Listener, chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- AcceptLoop(ln, AcceptOptions{
			Name: "test", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Closing: closing.Load, Closed: errShutdown,
		}, serve)
	}()
	return ln, done
}

func TestAcceptLoop(t *testing.T) {
	t.Run("serves until shutdown", func(t *testing.T) {
		var closing atomic.Bool
		served := make(chan struct{}, 1)
		ln, done := loop(t, &closing, func(c net.Conn) bool { c.Close(); served <- struct{}{}; return true })
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		<-served
		closing.Store(true)
		ln.Close()
		if err := <-done; err != errShutdown {
			t.Errorf("after shutdown: %v, want the Closed error", err)
		}
	})
	t.Run("listener closed by someone else", func(t *testing.T) {
		var closing atomic.Bool
		ln, done := loop(t, &closing, func(c net.Conn) bool { return true })
		ln.Close()
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Errorf("got %v, want net.ErrClosed", err)
		}
	})
	t.Run("serve refuses", func(t *testing.T) {
		var closing atomic.Bool
		ln, done := loop(t, &closing, func(c net.Conn) bool { c.Close(); return false })
		defer ln.Close()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := <-done; err != errShutdown {
			t.Errorf("got %v, want the Closed error", err)
		}
	})
}
