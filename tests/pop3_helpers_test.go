package tests

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// The POP3 end-to-end tests: the built binary, driven by POP3 clients
// someone else wrote (Python's poplib, curl, fetchmail, mpop).

const (
	pop3User = "alice"
	pop3Pass = "pop secret"
	// clientTimeout bounds one run of an outside client.
	clientTimeout = 30 * time.Second
)

// pop3Addr returns the address the server's POP3 listener is bound to, as
// logged at startup (the tests listen on port 0).
func pop3Addr(t *testing.T, p *serveProc) string { return serviceAddr(t, p, "pop3") }

// pop3Seed creates the account (if new) and appends bodies to its INBOX,
// with the store opened by the test: the server must not be running.
func pop3Seed(t *testing.T, dir string, bodies ...string) []store.Message {
	t.Helper()
	ctx := context.Background()
	st := mustOpenStore(t, dir)
	defer mustClose(t, st)
	acc, err := st.Account(ctx, pop3User)
	if err != nil {
		if acc, err = st.CreateAccount(ctx, pop3User, pop3Pass); err != nil {
			t.Fatal(err)
		}
	}
	inbox, err := st.Mailbox(ctx, acc.ID, store.InboxName)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Message
	for _, b := range bodies {
		res, err := st.Append(ctx, acc.ID, inbox.ID, strings.NewReader(b), store.AppendOptions{})
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		out = append(out, res.Message)
	}
	return out
}

// pop3Inbox lists the INBOX (server stopped).
func pop3Inbox(t *testing.T, dir string) []store.Message {
	t.Helper()
	ctx := context.Background()
	st := mustOpenStore(t, dir)
	defer mustClose(t, st)
	acc, err := st.Account(ctx, pop3User)
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := st.Mailbox(ctx, acc.ID, store.InboxName)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.Messages(ctx, acc.ID, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// needTool skips the test when an outside client is not installed
// (.ci/run installs them all).
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (.ci/run installs it)", name)
	}
	return path
}

// runTool runs an outside client with a bounded time and returns its
// combined output and exit code.
func runTool(t *testing.T, env []string, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = env
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %v; output:\n%s", name, clientTimeout, out)
	}
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running %s: %v", name, err)
		}
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// pop3Bodies are the test messages: one with lines that start with a dot,
// one with LF line endings (stored with CRLF).
var pop3Bodies = []string{
	"From: a@example.org\r\nSubject: first\r\nMessage-ID: <1@example.org>\r\n\r\nHello.\r\n.leading dot\r\n.\r\nend\r\n",
	"From: b@example.org\nSubject: second\nMessage-ID: <2@example.org>\n\nLF line endings\nsecond line\n",
	"From: c@example.org\r\nSubject: third\r\nMessage-ID: <3@example.org>\r\n\r\nthird body\r\n",
}
