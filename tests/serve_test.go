package tests

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ferrymail/ferrymail/store"
)

// TestServeAdminSocket: with the server running, the commands go through
// its admin socket, since the server holds the store's lock.
func TestServeAdminSocket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServe(t, dir)
	sock := filepath.Join(dir, "admin.sock")

	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin socket mode %v, want a socket with 0600", fi.Mode())
	}
	if st, err := openStore(t, dir); !errors.Is(err, store.ErrLocked) {
		if err == nil {
			st.Close()
		}
		t.Fatalf("opening the store next to the server: %v, want ErrLocked", err)
	}

	mustSucceed(t, "pw\n", "user", "add", "--data", dir, "alice")
	if out := mustSucceed(t, "", "user", "list", "--data", dir); !strings.Contains(out, "alice") {
		t.Errorf("user list through the server:\n%s", out)
	}
	boxes := listedMailboxes(t, mustSucceed(t, "", "mailbox", "list", "--data", dir, "alice"))
	if f, ok := boxes["INBOX"]; !ok || f[2] != "1" {
		t.Errorf("mailbox list through the server: %v", boxes)
	}
	mustSucceed(t, "", "message", "list", "--data", dir, "alice", "INBOX")
	// Errors keep their text through the socket.
	if line := mustFail(t, 1, "pw\n", "user", "add", "--data", dir, "alice"); !strings.Contains(line, "already exists") {
		t.Errorf("duplicate user add through the server: %q", line)
	}
	if n := strings.Count(srv.stderr.String(), "admin request"); n < 5 {
		t.Errorf("the server logged %d admin requests, want at least 5; output:\n%s", n, srv.stderr)
	}
	if !strings.Contains(srv.stderr.String(), "ready") {
		t.Errorf("the server did not log that it is ready:\n%s", srv.stderr)
	}

	srv.sigterm(t)
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("admin socket left behind after a clean stop: %v", err)
	}
	// Now the commands open the store directly.
	if out := mustSucceed(t, "", "user", "list", "--data", dir); !strings.Contains(out, "alice") {
		t.Errorf("user list after the server stopped:\n%s", out)
	}
}

// TestStaleSocket: a server killed with SIGKILL leaves its socket file; the
// commands and the next server go on regardless.
func TestStaleSocket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServe(t, dir)
	mustSucceed(t, "pw\n", "user", "add", "--data", dir, "alice")
	srv.stop(t, syscall.SIGKILL)
	if _, err := os.Lstat(filepath.Join(dir, "admin.sock")); err != nil {
		t.Fatalf("expected a stale socket after SIGKILL: %v", err)
	}

	if out := mustSucceed(t, "", "user", "list", "--data", dir); !strings.Contains(out, "alice") {
		t.Errorf("user list with a stale socket:\n%s", out)
	}
	srv = startServe(t, dir)
	mustSucceed(t, "pw\n", "user", "add", "--data", dir, "bob")
	if out := mustSucceed(t, "", "user", "list", "--data", dir); !strings.Contains(out, "bob") {
		t.Errorf("user list through the new server:\n%s", out)
	}
	// SIGINT stops the server as cleanly as SIGTERM.
	if code := srv.stop(t, syscall.SIGINT); code != 0 {
		t.Errorf("ferrymail serve exited %d after SIGINT, want 0; output:\n%s", code, srv.stderr)
	}
}

// TestLockContention: another process holds the store and no admin socket
// answers: the command says so instead of waiting or failing obscurely.
func TestLockContention(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := mustOpenStore(t, dir)
	defer mustClose(t, st)
	line := mustFail(t, 1, "", "user", "list", "--data", dir)
	if !strings.Contains(line, "in use by another process") {
		t.Errorf("user list on a locked directory: %q", line)
	}
	// A second server refuses to start on it too.
	r := ferrymail(t, "", "serve", "--data", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "in use by another process") {
		t.Errorf("serve on a locked directory: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
