package pop3

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/internal/testcert"
	"github.com/ferrymail/ferrymail/store"
)

// ioTimeout bounds every wait of the test client; generous, because a
// login costs an argon2id hash and CI machines run packages in parallel.
const ioTimeout = 30 * time.Second

const (
	testUser = "alice"
	testPass = "correct horse"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testEnv is a store with one account and a POP3 server on 127.0.0.1:0.
type testEnv struct {
	t     *testing.T
	st    *store.Store
	srv   *Server
	addr  string
	acc   store.Account
	inbox store.MailboxID
}

// testOptions are the options tests use unless they say otherwise: no
// delay after a failed login.
func testOptions() Options { return Options{AuthFailDelay: -1} }

func newEnv(t *testing.T, opts Options) *testEnv {
	t.Helper()
	return newEnvLog(t, opts, quietLogger())
}

// newEnvLog is newEnv with the server logging to logger.
func newEnvLog(t *testing.T, opts Options, logger *slog.Logger) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{
		Logger: quietLogger(), NoSync: true, MemTableSize: 4 << 20, GCInterval: -1,
	})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	acc, err := st.CreateAccount(ctx, testUser, testPass)
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := st.Mailbox(ctx, acc.ID, store.InboxName)
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, st: st, acc: acc, inbox: inbox.ID}
	e.srv = New(opts, st, logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ln) }()
	t.Cleanup(func() {
		e.srv.Close()
		select {
		case err := <-served:
			if !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve: %v, want ErrServerClosed", err)
			}
		case <-time.After(ioTimeout):
			t.Errorf("Serve did not return after Close")
		}
		if err := st.CheckConsistency(context.Background()); err != nil {
			t.Errorf("CheckConsistency: %v", err)
		}
		st.Close()
	})
	return e
}

// deliver appends a message to INBOX.
func (e *testEnv) deliver(body string) store.Message {
	e.t.Helper()
	res, err := e.st.Append(context.Background(), e.acc.ID, e.inbox, strings.NewReader(body), store.AppendOptions{})
	if err != nil {
		e.t.Fatalf("Append: %v", err)
	}
	return res.Message
}

// messages lists INBOX in UID order.
func (e *testEnv) messages() []store.Message {
	e.t.Helper()
	msgs, err := e.st.Messages(context.Background(), e.acc.ID, e.inbox)
	if err != nil {
		e.t.Fatal(err)
	}
	return msgs
}

// client is a small raw POP3 client: it sends lines and reads responses
// byte-exactly, every read bounded by ioTimeout.
type client struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

// dial connects and reads the greeting.
func (e *testEnv) dial() *client {
	e.t.Helper()
	nc, err := net.DialTimeout("tcp", e.addr, ioTimeout)
	if err != nil {
		e.t.Fatal(err)
	}
	c := newClient(e.t, nc)
	if g := c.readLine(); !strings.HasPrefix(g, "+OK ") {
		e.t.Fatalf("greeting %q", g)
	}
	return c
}

func newClient(t *testing.T, nc net.Conn) *client {
	c := &client{t: t, conn: nc, br: bufio.NewReader(nc)}
	t.Cleanup(func() { nc.Close() })
	return c
}

// login dials and logs in with USER/PASS.
func (e *testEnv) login() *client {
	e.t.Helper()
	c := e.dial()
	c.mustOK("USER " + testUser)
	c.mustOK("PASS " + testPass)
	return c
}

func (c *client) send(line string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		c.t.Fatalf("sending %q: %v", line, err)
	}
}

// readLine reads one line, without its CRLF; it fails on a bare LF.
func (c *client) readLine() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	line, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading response: %v (got %q)", err, line)
	}
	if !strings.HasSuffix(line, "\r\n") {
		c.t.Fatalf("line %q does not end in CRLF", line)
	}
	return strings.TrimSuffix(line, "\r\n")
}

// cmd sends a command and returns its status line.
func (c *client) cmd(line string) string {
	c.t.Helper()
	c.send(line)
	return c.readLine()
}

func (c *client) mustOK(line string) string {
	c.t.Helper()
	resp := c.cmd(line)
	if !strings.HasPrefix(resp, "+OK") {
		c.t.Fatalf("%s: %q, want +OK", redact(line), resp)
	}
	return resp
}

func (c *client) mustErr(line, wantPrefix string) string {
	c.t.Helper()
	resp := c.cmd(line)
	if !strings.HasPrefix(resp, wantPrefix) {
		c.t.Fatalf("%s: %q, want %q...", redact(line), resp, wantPrefix)
	}
	return resp
}

func redact(line string) string {
	if strings.HasPrefix(strings.ToUpper(line), "PASS ") {
		return "PASS ***"
	}
	return line
}

// readMulti reads the lines of a multi-line response up to the ".",
// undoing dot-stuffing.
func (c *client) readMulti() []string {
	c.t.Helper()
	var lines []string
	for {
		l := c.readLine()
		if l == "." {
			return lines
		}
		if strings.HasPrefix(l, ".") {
			l = l[1:]
		}
		lines = append(lines, l)
	}
}

// multi sends a command that answers with a multi-line response.
func (c *client) multi(line string) []string {
	c.t.Helper()
	c.mustOK(line)
	return c.readMulti()
}

// readRaw reads the raw bytes of a multi-line response through the final
// CRLF.CRLF (the status line already read).
func (c *client) readRaw() string {
	c.t.Helper()
	var b strings.Builder
	for {
		c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
		line, err := c.br.ReadString('\n')
		if err != nil {
			c.t.Fatalf("reading: %v", err)
		}
		b.WriteString(line)
		if line == ".\r\n" {
			return b.String()
		}
	}
}

// expectClosed waits for the server to close the connection.
func (c *client) expectClosed() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	rest, err := io.ReadAll(c.br)
	if err != nil {
		c.t.Fatalf("waiting for the server to close: %v (read %q)", err, rest)
	}
	if len(rest) > 0 {
		c.t.Fatalf("unexpected data before close: %q", rest)
	}
}

// waitFor polls cond every few milliseconds for up to ioTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testTLSConfig returns a server config with a fresh self-signed
// certificate for 127.0.0.1, and a client config that trusts it.
func testTLSConfig(t *testing.T) (server, client *tls.Config) { return testcert.Pair(t) }
