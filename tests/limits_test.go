package tests

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/internal/limits"
	"github.com/ferrymail/ferrymail/server"
)

// limitsIOTimeout bounds every read and write of these tests; it is a
// safety net for a hung server, never a measurement.
const limitsIOTimeout = 30 * time.Second

// addrLog is a slog handler that keeps the "listening" lines' addresses,
// so that an in-process server on port 0 can be found.
type addrLog struct {
	mu    sync.Mutex
	addrs map[string]string
	lines []string
}

func (h *addrLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *addrLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *addrLog) WithGroup(string) slog.Handler            { return h }
func (h *addrLog) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	b.WriteString(r.Message)
	var service, addr string
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		switch a.Key {
		case "service":
			service = a.Value.String()
		case "addr":
			addr = a.Value.String()
		}
		return true
	})
	h.lines = append(h.lines, b.String())
	if r.Message == "listening" && service != "" {
		h.addrs[service] = addr
	}
	return nil
}

func (h *addrLog) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.lines, "\n")
}

// limitsServer runs server.Run in this process with lim, IMAP, POP3 and
// LMTP on loopback port 0, and the account alice; it returns the
// listeners' addresses by service name.
func limitsServer(t *testing.T, lim limits.Config) (map[string]string, *addrLog) {
	t.Helper()
	dir := t.TempDir()
	imapSeed(t, dir, "INBOX") // alice, with an empty INBOX
	h := &addrLog{addrs: make(map[string]string)}
	srv := server.New(server.Options{
		DataDir: dir, Logger: slog.New(h), IMAPAddr: "127.0.0.1:0", POP3Addr: "127.0.0.1:0",
		LMTPAddr: "127.0.0.1:0", Limits: lim,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server.Run: %v", err)
		}
	})
	deadline := time.Now().Add(serveReadyTimeout)
	for {
		h.mu.Lock()
		n := len(h.addrs)
		addrs := make(map[string]string, n)
		for k, v := range h.addrs {
			addrs[k] = v
		}
		h.mu.Unlock()
		if n >= 3 {
			return addrs, h
		}
		select {
		case err := <-done:
			t.Fatalf("server.Run ended before it listened: %v\n%s", err, h)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not listen within %v:\n%s", serveReadyTimeout, h)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lineConn is a text-protocol client: send a line, read a line.
type lineConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dialLines(t *testing.T, addr string) *lineConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, limitsIOTimeout)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(limitsIOTimeout))
	t.Cleanup(func() { nc.Close() })
	return &lineConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (c *lineConn) read() string {
	c.t.Helper()
	l, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading: %v (so far %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

// cmd sends line and reads until a line starting with untilPrefix,
// returning that line.
func (c *lineConn) cmd(line, untilPrefix string) string {
	c.t.Helper()
	if _, err := fmt.Fprintf(c.nc, "%s\r\n", line); err != nil {
		c.t.Fatalf("writing %q: %v", line, err)
	}
	for range 100 {
		if l := c.read(); strings.HasPrefix(l, untilPrefix) {
			return l
		}
	}
	c.t.Fatalf("no line starting %q after %q", untilPrefix, line)
	return ""
}

// eof requires the server to have closed the connection (and not reset
// it: a reset would be an error other than EOF).
func (c *lineConn) eof() {
	c.t.Helper()
	if l, err := c.br.ReadString('\n'); err == nil || l != "" || err.Error() != "EOF" {
		c.t.Fatalf("want EOF after the refusal, got %q, %v", l, err)
	}
}

// retry calls try until it reports true, at most 200 times 50 ms apart
// (a slot is given back when the server has seen the close, which is not
// at once): the test waits for an event, it does not time one.
func retry(t *testing.T, what string, try func() bool) {
	t.Helper()
	for range 200 {
		if try() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: never happened", what)
}

// TestLimitsPerAddress: with max_connections_per_ip 2, the third
// connection from 127.0.0.1 to each listener is refused politely — IMAP
// "* BYE [UNAVAILABLE]", POP3 "-ERR [SYS/TEMP]", LMTP "421" — and closed;
// when one of the two closes, a new connection is served again.
func TestLimitsPerAddress(t *testing.T) {
	t.Parallel()
	addrs, _ := limitsServer(t, limits.Config{MaxConnectionsPerIP: 2})
	protos := []struct {
		service, greeting, refusal string
	}{
		{"imap", "* OK", "* BYE [UNAVAILABLE] Too many connections"},
		{"pop3", "+OK", "-ERR [SYS/TEMP] too many connections"},
		{"lmtp", "220 ", "421 4.7.0 "},
	}
	for _, p := range protos {
		first := dialLines(t, addrs[p.service])
		second := dialLines(t, addrs[p.service])
		for i, c := range []*lineConn{first, second} {
			if g := c.read(); !strings.HasPrefix(g, p.greeting) {
				t.Fatalf("%s connection %d: greeting %q, want %q", p.service, i+1, g, p.greeting)
			}
		}
		third := dialLines(t, addrs[p.service])
		if g := third.read(); !strings.HasPrefix(g, p.refusal) {
			t.Fatalf("%s third connection: got %q, want %q…", p.service, g, p.refusal)
		}
		third.eof()

		first.nc.Close()
		retry(t, p.service+" served again after a close", func() bool {
			c := dialLines(t, addrs[p.service])
			defer c.nc.Close()
			return strings.HasPrefix(c.read(), p.greeting)
		})
	}
}

// TestLimitsPerUser: with max_connections_per_user 2, a third IMAP LOGIN
// as alice gets NO [LIMIT] (RFC 5530), and once a session logs out a
// LOGIN succeeds again.
func TestLimitsPerUser(t *testing.T) {
	t.Parallel()
	addrs, _ := limitsServer(t, limits.Config{MaxConnectionsPerUser: 2})
	login := func() (*lineConn, string) {
		c := dialLines(t, addrs["imap"])
		c.read()
		return c, c.cmd("a LOGIN "+imapUser+` "`+imapPass+`"`, "a ")
	}
	first, r1 := login()
	_, r2 := login()
	if !strings.HasPrefix(r1, "a OK") || !strings.HasPrefix(r2, "a OK") {
		t.Fatalf("two logins: got %q, %q, want OK", r1, r2)
	}
	third, r3 := login()
	if !strings.HasPrefix(r3, "a NO [LIMIT]") {
		t.Fatalf("third login: got %q, want NO [LIMIT]", r3)
	}
	// The refused session is still usable, unauthenticated.
	if r := third.cmd("b CAPABILITY", "b "); !strings.HasPrefix(r, "b OK") {
		t.Fatalf("CAPABILITY after the refusal: %q", r)
	}
	if r := first.cmd("z LOGOUT", "z "); !strings.HasPrefix(r, "z OK") {
		t.Fatalf("LOGOUT: %q", r)
	}
	retry(t, "login after a logout", func() bool {
		return strings.HasPrefix(third.cmd("c LOGIN "+imapUser+` "`+imapPass+`"`, "c "), "c OK")
	})
}

// TestLimitsLoginFailures: three failed logins from 127.0.0.1 (two over
// IMAP, one over POP3) block the address for both protocols: the right
// password is then refused, without being checked, with IMAP
// NO [UNAVAILABLE] and POP3 -ERR [SYS/TEMP]; other connections' sessions
// are not affected otherwise.
func TestLimitsLoginFailures(t *testing.T) {
	t.Parallel()
	addrs, log := limitsServer(t, limits.Config{Logins: limits.LoginOptions{Failures: 3, Window: time.Hour, Block: time.Hour}})
	imapc := dialLines(t, addrs["imap"])
	imapc.read()
	for i := range 2 {
		if r := imapc.cmd(fmt.Sprintf("f%d LOGIN %s wrong", i, imapUser), fmt.Sprintf("f%d ", i)); !strings.Contains(r, "NO [AUTHENTICATIONFAILED]") {
			t.Fatalf("wrong password over IMAP: %q", r)
		}
	}
	popc := dialLines(t, addrs["pop3"])
	popc.read()
	popc.cmd("USER "+imapUser, "+OK")
	if r := popc.cmd("PASS wrong", "-ERR"); !strings.HasPrefix(r, "-ERR [AUTH]") {
		t.Fatalf("wrong password over POP3: %q", r)
	}
	// Blocked now, for both protocols, whatever the password.
	popc.cmd("USER "+imapUser, "+OK")
	if r := popc.cmd("PASS "+imapPass, "-"); !strings.HasPrefix(r, "-ERR [SYS/TEMP]") {
		t.Fatalf("right password over POP3 while blocked: %q, want -ERR [SYS/TEMP]", r)
	}
	if r := imapc.cmd("g LOGIN "+imapUser+` "`+imapPass+`"`, "g "); !strings.HasPrefix(r, "g NO [UNAVAILABLE]") {
		t.Fatalf("right password over IMAP while blocked: %q, want NO [UNAVAILABLE]", r)
	}
	if !strings.Contains(log.String(), "address blocked") {
		t.Errorf("the block was not logged:\n%s", log)
	}
}

// TestLimitsConfigChecked: "ferrymail serve" refuses a [limits] section
// that breaks the RFCs or makes no sense, naming each key and its line.
func TestLimitsConfigChecked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ferrymail.toml")
	doc := "data = \"data\"\n[limits]\nmax_connections_per_ip = -1\npop3_idle_timeout = \"1m\"\nlogin_failure_window = \"0s\"\nlmtp_timeout = \"soon\"\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	r := ferrymail(t, "", "serve", "--config", cfg)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		cfg + ":3: limits.max_connections_per_ip: -1 is negative",
		cfg + ":4: limits.pop3_idle_timeout: 1m0s is below the 10m that RFC 1939 §3 requires",
		cfg + ":5: limits.login_failure_window: must be more than 0 while limits.login_failures is set",
		cfg + `:6: limits.lmtp_timeout: "soon" is not a duration`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}
