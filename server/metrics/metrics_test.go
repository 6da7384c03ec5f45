package metrics

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ferrymail/ferrymail/imap"
	"github.com/ferrymail/ferrymail/internal/observe"
	"github.com/ferrymail/ferrymail/pop3"
	"github.com/ferrymail/ferrymail/store"
)

// env is a store with one account and the metrics the servers report to.
type env struct {
	st  *store.Store
	m   *Metrics
	log *bytes.Buffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir(), store.Options{NoSync: true, MemTableSize: 8 << 20, GCInterval: -1})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.CreateAccount(context.Background(), "alice", "secret-pw-1"); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	return &env{st: st, m: New(Options{StoreSize: st.DiskSize}), log: new(bytes.Buffer)}
}

// serve runs srv on a loopback listener until the test ends.
func serve(t *testing.T, srv interface {
	Serve(net.Listener) error
	Close() error
}) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return ln.Addr().String()
}

// waitFor polls cond for up to 10 s: a session's end is reported after the
// client has seen its last response.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: not within 10s", what)
}

func TestMetricsIMAPSession(t *testing.T) {
	e := newEnv(t)
	srv := imap.New(imap.Options{FailedLoginDelay: -1, Observer: e.m}, e.st, slog.New(slog.NewTextHandler(e.log, nil)))
	addr := serve(t, srv)

	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The session may start after Dial returns (the greeting is read later).
	waitFor(t, "connections_current{imap} 1 with one client", func() bool {
		return testutil.ToFloat64(e.m.connsCurrent.WithLabelValues(observe.IMAP)) == 1
	})
	if err := c.Login("alice", "wrong").Wait(); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	if err := c.Login("alice", "secret-pw-1").Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("select: %v", err)
	}
	if _, err := c.Select("NoSuchBox", nil).Wait(); err == nil {
		t.Fatal("select of a missing mailbox succeeded")
	}
	if err := c.Logout().Wait(); err != nil {
		t.Fatalf("logout: %v", err)
	}
	c.Close()
	waitFor(t, "imap connection closed", func() bool {
		return testutil.ToFloat64(e.m.connsCurrent.WithLabelValues(observe.IMAP)) == 0
	})

	for _, tc := range []struct {
		name string
		got  float64
		want float64
	}{
		{"connections_total{imap}", testutil.ToFloat64(e.m.connsTotal.WithLabelValues("imap")), 1},
		{"logins_total{imap,ok}", testutil.ToFloat64(e.m.logins.WithLabelValues("imap", "ok")), 1},
		{"logins_total{imap,failed}", testutil.ToFloat64(e.m.logins.WithLabelValues("imap", "failed")), 1},
		{"commands_total{imap,LOGIN,ok}", testutil.ToFloat64(e.m.commands.WithLabelValues("imap", "LOGIN", "ok")), 1},
		{"commands_total{imap,LOGIN,no}", testutil.ToFloat64(e.m.commands.WithLabelValues("imap", "LOGIN", "no")), 1},
		{"commands_total{imap,SELECT,ok}", testutil.ToFloat64(e.m.commands.WithLabelValues("imap", "SELECT", "ok")), 1},
		{"commands_total{imap,SELECT,no}", testutil.ToFloat64(e.m.commands.WithLabelValues("imap", "SELECT", "no")), 1},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	// The histogram counts each command once: two LOGINs, two SELECTs.
	exposition := scrape(t, e.m)
	for _, want := range []string{
		`ferrymail_command_duration_seconds_count{command="LOGIN",proto="imap"} 2`,
		`ferrymail_command_duration_seconds_count{command="SELECT",proto="imap"} 2`,
	} {
		if !strings.Contains(exposition, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(e.log.String(), "secret-pw-1") {
		t.Errorf("the password is in the log:\n%s", e.log)
	}
}

// pop3Client is a minimal POP3 client: one command, one status line.
type pop3Client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func (p *pop3Client) cmd(line string) string {
	p.t.Helper()
	if line != "" {
		fmt.Fprintf(p.c, "%s\r\n", line)
	}
	p.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := p.br.ReadString('\n')
	if err != nil {
		p.t.Fatalf("after %q: %v", line, err)
	}
	return strings.TrimRight(resp, "\r\n")
}

func TestMetricsPOP3Session(t *testing.T) {
	e := newEnv(t)
	srv := pop3.New(pop3.Options{AuthFailDelay: -1, Observer: e.m}, e.st, slog.New(slog.NewTextHandler(e.log, nil)))
	addr := serve(t, srv)

	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	p := &pop3Client{t: t, c: nc, br: bufio.NewReader(nc)}
	for _, step := range []struct{ send, want string }{
		{"", "+OK"},
		{"USER alice", "+OK"},
		{"PASS wrong-pw-2", "-ERR"},
		{"USER alice", "+OK"},
		{"PASS secret-pw-1", "+OK"},
		{"STAT", "+OK"},
		{"XYZZY", "-ERR"},
		{"QUIT", "+OK"},
	} {
		if got := p.cmd(step.send); !strings.HasPrefix(got, step.want) {
			t.Fatalf("%q: got %q, want %s", step.send, got, step.want)
		}
	}
	if _, err := io.ReadAll(p.br); err != nil {
		t.Fatalf("reading to the end: %v", err)
	}
	waitFor(t, "pop3 connection closed", func() bool {
		return testutil.ToFloat64(e.m.connsCurrent.WithLabelValues(observe.POP3)) == 0
	})
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"connections_total{pop3}", testutil.ToFloat64(e.m.connsTotal.WithLabelValues("pop3")), 1},
		{"logins_total{pop3,ok}", testutil.ToFloat64(e.m.logins.WithLabelValues("pop3", "ok")), 1},
		{"logins_total{pop3,failed}", testutil.ToFloat64(e.m.logins.WithLabelValues("pop3", "failed")), 1},
		{"commands_total{pop3,USER,ok}", testutil.ToFloat64(e.m.commands.WithLabelValues("pop3", "USER", "ok")), 2},
		{"commands_total{pop3,PASS,bad}", testutil.ToFloat64(e.m.commands.WithLabelValues("pop3", "PASS", "bad")), 1},
		{"commands_total{pop3,STAT,ok}", testutil.ToFloat64(e.m.commands.WithLabelValues("pop3", "STAT", "ok")), 1},
		{"commands_total{pop3,unknown,bad}", testutil.ToFloat64(e.m.commands.WithLabelValues("pop3", "unknown", "bad")), 1},
		{"commands_total{pop3,QUIT,ok}", testutil.ToFloat64(e.m.commands.WithLabelValues("pop3", "QUIT", "ok")), 1},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if log := e.log.String(); strings.Contains(log, "secret-pw-1") || strings.Contains(log, "wrong-pw-2") {
		t.Errorf("a password is in the log:\n%s", log)
	}
}

// scrape returns what /metrics serves.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler(HandlerOptions{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: status %d", rec.Code)
	}
	return rec.Body.String()
}

func TestMetricsHandler(t *testing.T) {
	e := newEnv(t)
	healthErr := error(nil)
	h := e.m.Handler(HandlerOptions{Health: func(ctx context.Context) error {
		if healthErr != nil {
			return healthErr
		}
		return e.st.Ping(ctx)
	}})
	get := func(path string) (int, string) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	e.m.Delivery(observe.OK, 1234)
	e.m.Import("imported", 3, 999)

	code, body := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: status %d", code)
	}
	for _, want := range []string{
		`ferrymail_connections_current{proto="imap"} 0`,
		`ferrymail_lmtp_deliveries_total{outcome="ok"} 1`,
		`ferrymail_lmtp_delivered_bytes_total 1234`,
		`ferrymail_import_messages_total{outcome="imported"} 3`,
		`ferrymail_import_bytes_total 999`,
		`ferrymail_store_size_bytes{part="lsm"}`,
		`ferrymail_store_size_bytes{part="vlog"}`,
		`go_goroutines`,
		`process_open_fds`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, body := get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz on an open store: %d %q, want 200 ok", code, body)
	}
	if code, _ := get("/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without Pprof: status %d, want 404", code)
	}
	e.st.Close()
	if code, body := get("/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "store") {
		t.Errorf("/healthz on a closed store: %d %q, want 503 naming the store", code, body)
	}
}

func TestMetricsHealthTimeout(t *testing.T) {
	m := New(Options{})
	release := make(chan struct{})
	defer close(release)
	h := m.Handler(HandlerOptions{HealthTimeout: 50 * time.Millisecond, Health: func(ctx context.Context) error {
		<-release // a store that never answers
		return nil
	}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "no answer") {
		t.Errorf("/healthz on a stuck store: %d %q, want 503 no answer", rec.Code, rec.Body.String())
	}
}

func TestMetricsPprof(t *testing.T) {
	h := New(Options{}).Handler(HandlerOptions{Pprof: true})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/heap?debug=1", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "heap profile") {
		t.Errorf("/debug/pprof/heap: %d, body starts %.60q", rec.Code, rec.Body.String())
	}
}
