package admin

import (
	"context"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestListenMode: the socket is 0600 even under a permissive umask. Not
// parallel: the umask belongs to the whole process.
func TestListenMode(t *testing.T) {
	dir := shortTempDir(t)
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	ln, err := Listen(SocketPath(dir))
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer ln.Close()
	fi, err := os.Lstat(SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	// Nothing but the socket is left behind in the data directory.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want only %s", len(entries), SocketName)
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	staleSocket(t, SocketPath(dir))
	ln, err := Listen(SocketPath(dir))
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	go func() {
		if nc, err := ln.Accept(); err == nil {
			nc.Close()
		}
	}()
	nc, err := net.Dial("unix", SocketPath(dir))
	if err != nil {
		t.Fatalf("dialling the new socket: %v", err)
	}
	nc.Close()
	if err := ln.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := os.Lstat(SocketPath(dir)); !os.IsNotExist(err) {
		t.Errorf("socket file still there after Close: %v", err)
	}
}

func TestListenRefusesLiveSocket(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	ln, err := Listen(SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			nc.Close()
		}
	}()
	if ln2, err := Listen(SocketPath(dir)); err == nil {
		ln2.Close()
		t.Fatalf("a second Listen on a live socket succeeded")
	}
}

// TestListenerCloseKeepsReplacement: closing an old listener does not
// remove a socket that a newer server has put in its place.
func TestListenerCloseKeepsReplacement(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	path := SocketPath(dir)
	old, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	// Simulate the old server hanging while a new one takes over.
	if err := os.Rename(path, filepath.Join(dir, "old.sock")); err != nil {
		t.Fatal(err)
	}
	newer, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer newer.Close()
	old.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("the newer socket is gone after closing the old listener: %v", err)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("missing directory", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "nope")
		_, _, err := Open(ctx, dir, OpenOptions{Logger: quietLogger()})
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("Open: %v, want an error saying the directory does not exist", err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("Open created the directory")
		}
	})

	t.Run("no server", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(shortTempDir(t), "data")
		api, closer, err := Open(ctx, dir, OpenOptions{Logger: quietLogger(), Create: true})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer closer.Close()
		if _, ok := api.(*Local); !ok {
			t.Errorf("Open gave %T, want *Local", api)
		}
	})

	t.Run("stale socket", func(t *testing.T) {
		t.Parallel()
		dir := shortTempDir(t)
		staleSocket(t, SocketPath(dir))
		api, closer, err := Open(ctx, dir, OpenOptions{Logger: quietLogger()})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer closer.Close()
		if _, ok := api.(*Local); !ok {
			t.Errorf("Open gave %T, want *Local", api)
		}
	})

	t.Run("server", func(t *testing.T) {
		t.Parallel()
		dir := shortTempDir(t)
		st := openStore(t, dir)
		startServer(t, dir, st)
		api, closer, err := Open(ctx, dir, OpenOptions{Logger: quietLogger()})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer closer.Close()
		if _, ok := api.(*Client); !ok {
			t.Errorf("Open gave %T, want *Client", api)
		}
		if _, err := api.Users(ctx); err != nil {
			t.Errorf("Users: %v", err)
		}
	})

	t.Run("locked without socket", func(t *testing.T) {
		t.Parallel()
		dir := shortTempDir(t)
		openStore(t, dir) // holds badger's lock; flock conflicts within a process too
		start := time.Now()
		_, _, err := Open(ctx, dir, OpenOptions{Logger: quietLogger(), LockWait: 300 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), "in use by another process") {
			t.Fatalf("Open: %v, want an in-use error", err)
		}
		if d := time.Since(start); d < 300*time.Millisecond || d > 5*time.Second {
			t.Errorf("Open gave up after %v, want about the lock wait", d)
		}
	})
}
