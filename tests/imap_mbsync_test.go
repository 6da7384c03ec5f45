package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestIMAPMbsync synchronises a mailbox of 1,000 messages both ways with
// mbsync (isync): 1,000 on the server go down, 100 in the local Maildir go
// up; a second run transfers nothing (no APPEND, no body FETCH, no STORE).
func TestIMAPMbsync(t *testing.T) {
	t.Parallel()
	mbsync := needTool(t, "mbsync")
	dir := t.TempDir()
	const remote, local = 1000, 100
	bodies := make([]string, remote)
	for i := range bodies {
		bodies[i] = fmt.Sprintf("From: sender%d@example.org\r\nSubject: remote %d\r\nMessage-ID: <r%d@example.org>\r\n\r\nbody of remote message %d\r\n", i, i, i, i)
	}
	imapSeed(t, dir, "INBOX", bodies...)
	srv := startServe(t, dir)
	addr := imapAddr(t, srv)
	host, port, _ := strings.Cut(addr, ":")

	maildir := filepath.Join(t.TempDir(), "mail")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(maildir, "INBOX", sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for i := range local {
		name := filepath.Join(maildir, "INBOX", "new", fmt.Sprintf("1700000000.%d.localhost", i))
		msg := fmt.Sprintf("Subject: local %d\r\nMessage-ID: <l%d@example.org>\r\n\r\nlocal body %d\r\n", i, i, i)
		if err := os.WriteFile(name, []byte(msg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rc := filepath.Join(t.TempDir(), "mbsyncrc")
	config := fmt.Sprintf(`IMAPAccount ferry
Host %s
Port %s
User %s
Pass "%s"
SSLType None
AuthMechs PLAIN

IMAPStore remote
Account ferry

MaildirStore local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel ch
Far :remote:
Near :local:
Patterns INBOX
Create Both
Expunge Both
SyncState *
Sync All
`, host, port, imapUser, imapPass, maildir, maildir)
	if err := os.WriteFile(rc, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runTool(t, nil, mbsync, "-c", rc, "-a")
	if code != 0 {
		t.Fatalf("first mbsync exited %d:\n%s", code, out)
	}
	var files int
	for _, sub := range []string{"cur", "new"} {
		ents, _ := os.ReadDir(filepath.Join(maildir, "INBOX", sub))
		files += len(ents)
	}
	if files != remote+local {
		t.Errorf("local Maildir has %d messages after the first run, want %d", files, remote+local)
	}

	// The second run: -V prints both sides' counts, -Dn the IMAP traffic.
	out, code = runTool(t, nil, mbsync, "-V", "-Dn", "-c", rc, "-a")
	if code != 0 {
		t.Fatalf("second mbsync exited %d:\n%s", code, out)
	}
	want := fmt.Sprintf("far side: %d messages", remote+local)
	if !strings.Contains(out, want) {
		t.Errorf("second run does not say %q:\n%s", want, imapTail(out, 40))
	}
	transfer := regexp.MustCompile(`(?m)^>>> \d+ (UID )?(APPEND|STORE|EXPUNGE|FETCH .*BODY)`)
	if m := transfer.FindAllString(out, 5); m != nil {
		t.Errorf("second run transferred: %q", m)
	}
}

func imapTail(s string, lines int) string {
	l := strings.Split(s, "\n")
	return strings.Join(l[max(0, len(l)-lines):], "\n")
}
