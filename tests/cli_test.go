package tests

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	t.Parallel()
	r := ferrymail(t, "")
	if r.code != 2 {
		t.Errorf("ferrymail alone: exit %d, want 2", r.code)
	}
	for _, sub := range []string{"serve", "user add", "user list", "user passwd", "user delete", "mailbox list", "message list"} {
		if !strings.Contains(r.stderr, sub) {
			t.Errorf("usage does not mention %q:\n%s", sub, r.stderr)
		}
	}
	if out := mustSucceed(t, "", "help"); !strings.Contains(out, "mailbox list") {
		t.Errorf("ferrymail help:\n%s", out)
	}
	mustFail(t, 2, "", "frobnicate")
	mustFail(t, 2, "", "user")
	mustFail(t, 2, "", "mailbox", "list") // USER missing
}

// listedMailboxes parses "mailbox list" output: name → its columns.
func listedMailboxes(t *testing.T, out string) map[string][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("mailbox list output without header:\n%s", out)
	}
	got := map[string][]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		got[f[0]] = f
	}
	return got
}

// TestUserLifecycle: without a server, each command opens the store itself.
func TestUserLifecycle(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")

	out := mustSucceed(t, "first-secret\n", "user", "add", "--data", dir, "alice")
	if !strings.Contains(out, "alice") {
		t.Errorf("user add said %q", out)
	}
	out = mustSucceed(t, "", "user", "list", "--data", dir)
	if !regexp.MustCompile(`(?m)^alice\s+\d{4}-\d\d-\d\dT`).MatchString(out) {
		t.Errorf("user list does not show alice with a creation time:\n%s", out)
	}

	// The contract's form: flags first. Flags after the name work too.
	out = mustSucceed(t, "", "mailbox", "list", "--data", dir, "alice")
	boxes := listedMailboxes(t, out)
	for _, name := range []string{"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"} {
		f, ok := boxes[name]
		if !ok {
			t.Errorf("mailbox list lacks %s:\n%s", name, out)
			continue
		}
		// NAME UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ …
		if uv, err := strconv.ParseUint(f[1], 10, 32); err != nil || uv == 0 {
			t.Errorf("%s: UIDVALIDITY %q", name, f[1])
		}
		if f[2] != "1" || f[3] != "0" {
			t.Errorf("%s: UIDNEXT %s, messages %s; want 1 and 0", name, f[2], f[3])
		}
	}
	if len(boxes) != 6 {
		t.Errorf("mailbox list shows %d mailboxes, want 6:\n%s", len(boxes), out)
	}
	if again := mustSucceed(t, "", "mailbox", "list", "alice", "--data", dir); again != out {
		t.Errorf("flags after the name give different output:\n%s\nvs\n%s", again, out)
	}

	// A CRLF line ending is not part of the password.
	mustSucceed(t, "second-secret\r\n", "user", "passwd", "--data", dir, "alice")
	st := mustOpenStore(t, dir)
	if _, err := st.Authenticate(context.Background(), "alice", "second-secret"); err != nil {
		t.Errorf("the new password does not work: %v", err)
	}
	if _, err := st.Authenticate(context.Background(), "alice", "first-secret"); err == nil {
		t.Errorf("the old password still works")
	}
	mustClose(t, st)

	mustSucceed(t, "", "user", "delete", "--data", dir, "alice")
	out = mustSucceed(t, "", "user", "list", "--data", dir)
	if strings.Contains(out, "alice") {
		t.Errorf("alice still listed after delete:\n%s", out)
	}
}

func TestCLIErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustSucceed(t, "pw\n", "user", "add", "--data", dir, "alice")

	line := mustFail(t, 1, "other\n", "user", "add", "--data", dir, "alice")
	if !strings.Contains(line, "already exists") || !strings.Contains(line, "alice") {
		t.Errorf("duplicate user add: %q", line)
	}
	line = mustFail(t, 1, "", "mailbox", "list", "--data", dir, "nobody")
	if !strings.Contains(line, "no such account") || !strings.Contains(line, "nobody") {
		t.Errorf("mailbox list of an unknown user: %q", line)
	}
	line = mustFail(t, 1, "", "message", "list", "--data", dir, "alice", "Nope")
	if !strings.Contains(line, "no such mailbox") {
		t.Errorf("message list of an unknown mailbox: %q", line)
	}
	for _, stdin := range []string{"", "\n", "\r\n"} {
		line = mustFail(t, 1, stdin, "user", "add", "--data", dir, "bob")
		if !strings.Contains(line, "empty password") {
			t.Errorf("user add with stdin %q: %q", stdin, line)
		}
	}
	line = mustFail(t, 1, "", "user", "passwd", "--data", dir, "alice")
	if !strings.Contains(line, "empty password") {
		t.Errorf("user passwd with no password: %q", line)
	}
	line = mustFail(t, 1, "pw\n", "user", "passwd", "--data", dir, "nobody")
	if !strings.Contains(line, "no such account") {
		t.Errorf("user passwd of an unknown user: %q", line)
	}
	mustFail(t, 1, "", "user", "delete", "--data", dir, "nobody")
	mustFail(t, 1, "pw\n", "user", "add", "--data", dir, "has space")

	// The password is never taken from argv, and not echoed when given there.
	r := ferrymail(t, "", "user", "add", "--data", dir, "carol", "hunter2")
	if r.code != 2 || strings.Contains(r.stderr, "hunter2") || !strings.Contains(r.stderr, "standard input") {
		t.Errorf("user add NAME PASSWORD: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if out := mustSucceed(t, "", "user", "list", "--data", dir); strings.Contains(out, "carol") {
		t.Errorf("carol was created from argv:\n%s", out)
	}

	// A listing does not create a data directory that is not there.
	missing := filepath.Join(dir, "typo")
	if line := mustFail(t, 1, "", "user", "list", "--data", missing); !strings.Contains(line, "does not exist") {
		t.Errorf("user list of a missing directory: %q", line)
	}
}
