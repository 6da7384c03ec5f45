package admin

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// openStore opens a small store in dir and closes it at the end of the test.
func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dir, store.Options{
		Logger: quietLogger(), MemTableSize: 4 << 20, GCInterval: -1,
	})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := st.CheckConsistency(context.Background()); err != nil {
			t.Errorf("CheckConsistency: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return st
}

// startServer serves st on the admin socket of dir until the end of the
// test, and checks that Serve then returns ErrServerClosed.
func startServer(t *testing.T, dir string, st *store.Store) *Server {
	t.Helper()
	return startServerLogging(t, dir, st, quietLogger())
}

// startServerLogging is startServer with the server's log going to logger.
func startServerLogging(t *testing.T, dir string, st *store.Store, logger *slog.Logger) *Server {
	t.Helper()
	ln, err := Listen(SocketPath(dir))
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	srv := New(st, logger)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		select {
		case err := <-served:
			if !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Serve did not return after Shutdown")
		}
	})
	return srv
}

func dial(t *testing.T, dir string) *Client {
	t.Helper()
	c, err := Dial(context.Background(), SocketPath(dir))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// staleSocket leaves a socket file at path on which nobody listens, as a
// killed server does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatalf("listening on %s: %v", path, err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := net.Dial("unix", path); err == nil {
		t.Fatalf("stale socket %s still answers", path)
	}
}

// shortTempDir is t.TempDir, checked to leave room for a socket name in
// sun_path's 108 bytes.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if len(filepath.Join(dir, ".admin-0123456789", "s")) > 100 {
		t.Skipf("temporary directory %s is too long for a Unix socket path", dir)
	}
	return dir
}
