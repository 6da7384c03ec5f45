package imap

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ferrymail/ferrymail/store"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

type testEnv struct {
	t     testing.TB
	store *store.Store
	srv   *Server
	addr  string
	acct  store.Account

	lastPreauth *Server
}

// newTestEnv opens a store in a temporary directory with the account
// "alice" (password "secret") and serves IMAP on 127.0.0.1:0.
func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	return newTestEnvOpts(t, Options{FailedLoginDelay: -1})
}

func newTestEnvOpts(t testing.TB, opts Options) *testEnv {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(context.Background(), t.TempDir(), store.Options{NoSync: true, MemTableSize: 8 << 20, GCInterval: -1, Logger: logger})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	acct, err := st.CreateAccount(context.Background(), "alice", "secret")
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := New(opts, st, logger)
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		srv.Shutdown(ctx)
		select {
		case <-done:
		case <-time.After(testTimeout):
			t.Errorf("Serve did not return after Shutdown")
		}
		if err := st.CheckConsistency(context.Background()); err != nil {
			t.Errorf("CheckConsistency: %v", err)
		}
		st.Close()
	})
	return &testEnv{t: t, store: st, srv: srv, addr: ln.Addr().String(), acct: acct}
}

// preauth returns an environment on the same store whose connections
// start authenticated as alice (PREAUTH), sparing the password hash.
func (e *testEnv) preauth() *testEnv {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	srv := New(Options{FailedLoginDelay: -1}, e.store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv.preauth = &e.acct
	go srv.Serve(ln)
	e.t.Cleanup(func() { srv.Close() })
	pe := *e
	pe.srv, pe.addr = srv, ln.Addr().String()
	e.lastPreauth = srv
	return &pe
}

// preauthReads returns a function that says how many messages the
// preauth server opened since this call. It must follow preauth().
func (e *testEnv) preauthReads() func() int64 {
	srv := e.lastPreauth
	start := srv.contentReads.Load()
	return func() int64 { return srv.contentReads.Load() - start }
}

func (e *testEnv) mailbox(name string) store.Mailbox {
	e.t.Helper()
	mb, err := e.store.Mailbox(context.Background(), e.acct.ID, name)
	if err != nil {
		e.t.Fatalf("Mailbox(%q): %v", name, err)
	}
	return mb
}

// deliver appends a message from outside the IMAP layer, as LMTP, POP3 or
// the importer do.
func (e *testEnv) deliver(mbox, body string, flags ...string) store.Appended {
	e.t.Helper()
	res, err := e.store.Append(context.Background(), e.acct.ID, e.mailbox(mbox).ID, strings.NewReader(body), store.AppendOptions{Flags: flags})
	if err != nil {
		e.t.Fatalf("Append: %v", err)
	}
	return res
}

// client dials and logs in with imapclient.
func (e *testEnv) client(opts *imapclient.Options) *imapclient.Client {
	e.t.Helper()
	c, err := imapclient.DialInsecure(e.addr, opts)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	e.t.Cleanup(func() { c.Close() })
	if err := c.Login("alice", "secret").Wait(); err != nil {
		e.t.Fatalf("login: %v", err)
	}
	return c
}

// raw is a line-oriented connection for byte-exact transcripts.
type raw struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
	n  int
}

func (e *testEnv) raw() *raw {
	e.t.Helper()
	c, err := net.DialTimeout("tcp", e.addr, testTimeout)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	r := &raw{t: e.t, c: c, br: bufio.NewReader(c)}
	if l := r.line(); !strings.HasPrefix(l, "* OK") && !strings.HasPrefix(l, "* PREAUTH") {
		e.t.Fatalf("greeting %q", l)
	}
	return r
}

func (r *raw) line() string {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(testTimeout))
	l, err := r.br.ReadString('\n')
	if err != nil {
		r.t.Fatalf("reading: %v (got %q)", err, l)
	}
	return l
}

func (r *raw) send(s string) {
	r.t.Helper()
	r.c.SetWriteDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(r.c, s); err != nil {
		r.t.Fatal(err)
	}
}

// cmd sends a tagged command and returns everything up to and including
// the tagged response (literals included, as they come).
func (r *raw) cmd(format string, args ...any) (untagged []string, tagged string) {
	r.t.Helper()
	r.n++
	tag := fmt.Sprintf("t%d", r.n)
	r.send(tag + " " + fmt.Sprintf(format, args...) + "\r\n")
	return r.until(tag)
}

func (r *raw) until(tag string) (untagged []string, tagged string) {
	r.t.Helper()
	var all []string
	for {
		l := r.line()
		if strings.HasPrefix(l, tag+" ") {
			return all, l
		}
		// A literal: read exactly its bytes into the same entry.
		if i := strings.LastIndex(l, "{"); i >= 0 && strings.HasSuffix(l, "}\r\n") {
			var n int
			if _, err := fmt.Sscanf(l[i:], "{%d}", &n); err == nil {
				buf := make([]byte, n)
				r.c.SetReadDeadline(time.Now().Add(testTimeout))
				if _, err := io.ReadFull(r.br, buf); err != nil {
					r.t.Fatalf("literal: %v", err)
				}
				l += string(buf) + r.line()
			}
		}
		all = append(all, l)
	}
}

func (r *raw) login() {
	r.t.Helper()
	if _, tagged := r.cmd("LOGIN alice secret"); !strings.Contains(tagged, "OK") {
		r.t.Fatalf("login: %q", tagged)
	}
}

// mustOK fails unless the tagged answer is OK.
func (r *raw) mustOK(format string, args ...any) []string {
	r.t.Helper()
	u, tagged := r.cmd(format, args...)
	if !strings.HasPrefix(strings.SplitN(tagged, " ", 2)[1], "OK") {
		r.t.Fatalf("%s: %q (untagged %q)", fmt.Sprintf(format, args...), tagged, u)
	}
	return u
}

const simpleMsg = "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: hello\r\nDate: Mon, 02 Jan 2006 15:04:05 -0700\r\nMessage-ID: <1@example.org>\r\n\r\nHello, world.\r\n"
