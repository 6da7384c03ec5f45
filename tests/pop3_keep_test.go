package tests

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keepClient runs one "leave mail on server" client against addr and
// returns the messages it delivered in that run.
type keepClient func(t *testing.T, addr string) []string

// testKeepMode: a POP3 client in keep mode with UIDL tracking downloads
// every message on its first run, nothing on its second, and only the new
// message on a third run after a delivery; the server keeps everything.
func testKeepMode(t *testing.T, run keepClient) {
	dir := t.TempDir()
	pop3Seed(t, dir, pop3Bodies...)
	srv := startServe(t, dir)
	addr := pop3Addr(t, srv)

	if got := run(t, addr); len(got) != 3 {
		t.Fatalf("first run delivered %d messages, want 3", len(got))
	}
	if got := run(t, addr); len(got) != 0 {
		t.Fatalf("second run delivered %d messages, want 0", len(got))
	}
	// New mail: there is no delivery path into a running server yet (LMTP
	// comes later), so stop it, append through the store, restart it on
	// the same address.
	srv.sigterm(t)
	pop3Seed(t, dir, "From: d@example.org\r\nSubject: fourth\r\nMessage-ID: <4@example.org>\r\n\r\nnew mail\r\n")
	srv = startServe(t, dir, "--pop3", addr)
	if got := pop3Addr(t, srv); got != addr {
		t.Fatalf("restarted on %s, want %s", got, addr)
	}
	got := run(t, addr)
	if len(got) != 1 || !strings.Contains(got[0], "Subject: fourth") {
		t.Fatalf("third run delivered %d messages, want only the new one: %q", len(got), got)
	}
	srv.sigterm(t)
	if n := len(pop3Inbox(t, dir)); n != 4 {
		t.Errorf("%d messages left on the server, want all 4 (keep mode)", n)
	}
}

// newFiles returns the contents of files in dir not in seen, and adds them.
func newFiles(t *testing.T, dir string, seen map[string]bool) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if seen[e.Name()] {
			continue
		}
		seen[e.Name()] = true
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// TestPOP3Fetchmail: fetchmail with "keep" and "uidl".
func TestPOP3Fetchmail(t *testing.T) {
	t.Parallel()
	fetchmail := needTool(t, "fetchmail")
	home := t.TempDir()
	out := filepath.Join(home, "delivered")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	testKeepMode(t, func(t *testing.T, addr string) []string {
		host, port, _ := net.SplitHostPort(addr)
		// The server offers no TLS: sslproto '' stops fetchmail from
		// insisting on it.
		rc := fmt.Sprintf(`set no syslog
poll %s service %s protocol pop3 uidl auth password
  user "%s" there with password "%s" is "tester" here
  options keep no rewrite sslproto ''
  mda "/bin/sh -c 'cat > %s/msg.$$'"
`, host, port, pop3User, pop3Pass, out)
		rcFile := filepath.Join(home, "fetchmailrc")
		if err := os.WriteFile(rcFile, []byte(rc), 0o600); err != nil {
			t.Fatal(err)
		}
		env := append(os.Environ(), "HOME="+home)
		log, code := runTool(t, env, fetchmail, "-f", rcFile, "--idfile", filepath.Join(home, "fetchids"),
			"--pidfile", filepath.Join(home, "fetchmail.pid"), "--nodetach", "-v")
		// Exit 0: mail delivered; 1: no mail.
		if code != 0 && code != 1 {
			t.Fatalf("fetchmail exited %d:\n%s", code, log)
		}
		got := newFiles(t, out, seen)
		if (code == 0) != (len(got) > 0) {
			t.Errorf("fetchmail exited %d and delivered %d messages:\n%s", code, len(got), log)
		}
		return got
	})
}

// TestPOP3Mpop: mpop with --keep=on and --only-new=on (UIDLs file).
func TestPOP3Mpop(t *testing.T) {
	t.Parallel()
	mpop := needTool(t, "mpop")
	home := t.TempDir()
	maildir := filepath.Join(home, "Maildir")
	for _, d := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(maildir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	testKeepMode(t, func(t *testing.T, addr string) []string {
		host, port, _ := net.SplitHostPort(addr)
		env := append(os.Environ(), "HOME="+home)
		log, code := runTool(t, env, mpop, "--host="+host, "--port="+port, "--user="+pop3User,
			"--passwordeval=echo '"+pop3Pass+"'", "--auth=user", "--tls=off",
			"--keep=on", "--only-new=on", "--received-header=off",
			"--delivery=maildir,"+maildir, "--uidls-file="+filepath.Join(home, "uidls"))
		if code != 0 {
			t.Fatalf("mpop exited %d:\n%s", code, log)
		}
		return newFiles(t, filepath.Join(maildir, "new"), seen)
	})
}
