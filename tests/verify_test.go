package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// TestVerifyDovecotCopy runs "ferrymail verify" between two real Dovecots,
// the second serving a copy of the first one's Maildir (its
// dovecot-uidlist keeps UIDVALIDITY, UIDs and so UIDLs): identical, exit
// 0; then each kind of change made at the copy over IMAP (a flag, an
// expunge, a new message) is named, with exit 1; and a server that is not
// there is exit 3. It also checks that verify changed nothing: Dovecot's
// \Recent and \Seen are as they were (EXAMINE, no body fetched).
func TestVerifyDovecotCopy(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	old := startDovecot(t, "maildir:~/Maildir", "mail_fsync = never")
	runIMAPSeed(t, old, "seed", "INBOX=40,Archive=25,Entw&APw-rfe=10")
	cp := startDovecot(t, "maildir:~/Maildir", "")
	// cp -a keeps the owner Dovecot's mail processes need.
	if out, err := exec.Command("cp", "-a", filepath.Join(old.home, "alice"), cp.home).CombinedOutput(); err != nil {
		t.Fatalf("copying the Maildir: %v\n%s", err, out)
	}
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	verify := func(extra ...string) result {
		return ferrymail(t, "", append([]string{"verify",
			"--old-host", fmt.Sprintf("127.0.0.1:%d", old.imapPort), "--old-user", "alice", "--old-password-file", pw,
			"--new-host", fmt.Sprintf("127.0.0.1:%d", cp.imapPort), "--new-user", "alice", "--new-password-file", pw,
			"--old-pop3", fmt.Sprintf("127.0.0.1:%d", old.pop3Port), "--new-pop3", fmt.Sprintf("127.0.0.1:%d", cp.pop3Port)}, extra...)...)
	}
	recentBefore := recentCount(t, old.imapPort)
	r := verify()
	requireIdentical(t, r, "a Dovecot and a copy of its Maildir")
	for _, want := range []string{"INBOX: identical", "Archive: identical", "Entwürfe: identical", "POP3: identical"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("verify does not say %q:\n%s", want, r.stdout)
		}
	}
	if got := recentCount(t, old.imapPort); got != recentBefore {
		t.Errorf("verify changed the old server's INBOX: %s, was %s", got, recentBefore)
	}
	if rt := verify("--imap-client", "tolerant"); rt.code != 0 || rt.stdout != r.stdout {
		t.Errorf("--imap-client tolerant: exit %d, and its report is not go-imap's:\n%s\n---\n%s%s", rt.code, rt.stdout, r.stdout, rt.stderr)
	}
	if r := verify("--mailbox", "Arch*"); r.code != 0 || strings.Contains(r.stdout, "INBOX") || !strings.Contains(r.stdout, "Archive: identical") {
		t.Errorf("--mailbox Arch*: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Changes at the copy, each a difference that clients would notice.
	c, err := imapclient.DialInsecure(fmt.Sprintf("127.0.0.1:%d", cp.imapPort), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(4), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(6), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.UIDExpunge(imap.UIDSetNum(6)).Close(); err != nil {
		t.Fatal(err)
	}
	msg := "Subject: only at the copy\r\n\r\nnew\r\n"
	app := c.Append("Archive", int64(len(msg)), nil)
	app.Write([]byte(msg))
	app.Close()
	if _, err := app.Wait(); err != nil {
		t.Fatal(err)
	}
	c.Logout().Wait()

	r = verify()
	if r.code != 1 {
		t.Fatalf("after changes at the copy: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"INBOX: 2 differences",
		"missing UID: UID 6 (",
		"flags: UID 4: flags old (",
		"Archive: 1 differences",
		"extra UID: UID 26 (",
		"POP3: 1 differences",
		"missing UIDL:",
		"Entwürfe: identical",
		"total: 4 compared, 1 identical, 3 with differences, 4 differences",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("verify does not say %q:\n%s", want, r.stdout)
		}
	}
	if !strings.HasPrefix(r.stderr, "ferrymail: verify: 4 differences") {
		t.Errorf("stderr: %q", r.stderr)
	}
	total := r.stdout[strings.LastIndex(r.stdout, "total:"):]
	if rt := verify("--imap-client", "tolerant"); rt.code != 1 || !strings.HasSuffix(rt.stdout, total) {
		t.Errorf("--imap-client tolerant after changes: exit %d, want 1 and %q\n%s%s", rt.code, total, rt.stdout, rt.stderr)
	}

	// The old server gone: exit 3, nothing on stdout.
	old.stop(t)
	r = verify()
	if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, "could not read") {
		t.Errorf("the old server stopped: exit %d, want 3\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// recentCount is Dovecot's STATUS INBOX (RECENT UNSEEN), read with
// Python's imaplib (imapclient does not ask for RECENT); STATUS changes
// neither (RFC 3501 §6.3.10).
func recentCount(t *testing.T, port int) string {
	t.Helper()
	script := `import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login("alice", "pw")
print(m.status("INBOX", "(RECENT UNSEEN)")[1][0].decode())
m.logout()`
	out, err := exec.Command("python3", "-c", script, fmt.Sprint(port)).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "RECENT") {
		t.Fatalf("STATUS at Dovecot: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestVerifyUsage: command lines verify cannot act on are exit 2 with the
// usage line, before any connection.
func TestVerifyUsage(t *testing.T) {
	t.Parallel()
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := []string{"--old-host", "127.0.0.1:1", "--old-user", "a", "--old-password-file", pw}
	new := []string{"--new-host", "127.0.0.1:2", "--new-user", "a", "--new-password-file", pw}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{old, "--new-host HOST:PORT, --new-user U and --new-password-file F are required"},
		{append(append([]string{"--old-pop3", "127.0.0.1:3"}, old...), new...), "--old-pop3 and --new-pop3 go together"},
		{append(append([]string{"--new-tls", "ssl"}, old...), new...), `--new-tls: TLS mode "ssl"`},
		{append(append([]string{"--old-host", "nohost"}, old[2:]...), new...), `--old-host "nohost"`},
	} {
		r := ferrymail(t, "", append([]string{"verify"}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "usage: ferrymail verify") {
			t.Errorf("verify %q: exit %d, want 2 and %q\n%s", tc.args, r.code, tc.want, r.stderr)
		}
	}
}
