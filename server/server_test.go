package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/server/admin"
	"github.com/ferrymail/ferrymail/store"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestRunLifecycle: Run serves the admin socket until its context ends,
// then removes the socket, closes the store and returns nil.
func TestRunLifecycle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	// Port 0: tests run in parallel, and must not need the default ports.
	go func() {
		done <- New(Options{DataDir: dir, Logger: quietLogger(), POP3Addr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0"}).Run(ctx)
	}()

	var c *admin.Client
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		if c, err = admin.Dial(ctx, admin.SocketPath(dir)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("admin socket not answering: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	defer c.Close()
	if _, err := c.AddUser(ctx, "alice", "pw"); err != nil {
		t.Fatalf("AddUser: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if _, err := os.Lstat(admin.SocketPath(dir)); !os.IsNotExist(err) {
		t.Errorf("admin socket left behind: %v", err)
	}
	// The store was closed: it opens again, with the account in it.
	st, err := store.Open(context.Background(), dir, store.Options{Logger: quietLogger(), GCInterval: -1})
	if err != nil {
		t.Fatalf("reopening the store: %v", err)
	}
	defer st.Close()
	if _, err := st.Account(context.Background(), "alice"); err != nil {
		t.Errorf("Account: %v", err)
	}
}

func TestRunLocked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), dir, store.Options{Logger: quietLogger(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = New(Options{DataDir: dir, Logger: quietLogger()}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("Run on a locked directory: %v", err)
	}
}
