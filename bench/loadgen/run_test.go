package loadgen

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// startMemServer runs go-imap's own in-memory IMAP server (a server we
// did not write) on loopback with the given accounts.
func startMemServer(t *testing.T, users []Credential) string {
	t.Helper()
	mem := imapmemserver.New()
	for _, u := range users {
		user := imapmemserver.NewUser(u.User, u.Password)
		if err := user.Create("INBOX", nil); err != nil {
			t.Fatal(err)
		}
		mem.AddUser(user)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestRunIMAPAgainstMemServer loads accounts and runs the IMAP mix for a
// second against go-imap's in-memory server: every command of the mix is
// sent and answered, and nothing fails.
func TestRunIMAPAgainstMemServer(t *testing.T) {
	users := GeneratedUsers("u", 2, "pw")
	addr := startMemServer(t, users)
	ctx := context.Background()
	res, err := Load(ctx, LoadConfig{Addr: addr, Users: users, Messages: 20, Seed: 3, Clients: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages != 40 || res.Bytes == 0 {
		t.Errorf("Load = %+v, want 40 messages", res)
	}
	var errs []string
	rep, err := Run(ctx, Config{Scenario: ScenarioIMAP, Addr: addr, TLS: TLSNone, Users: users, Clients: 2,
		Duration: time.Second, Warmup: 200 * time.Millisecond, Seed: 3, IdleFor: 10 * time.Millisecond,
		Log: func(s string) { errs = append(errs, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors() != 0 {
		t.Errorf("%d commands failed: %q", rep.Errors(), errs)
	}
	// A second is enough for sessions to start and for every kind of
	// command of the mix to come up, whatever the machine's speed: a
	// session makes 10 to 30 commands, and a command takes milliseconds.
	for _, op := range []Op{OpConnect, OpLogin, OpSelect, OpFetchFlags, OpFetchBody} {
		if rep.Row(op).Count == 0 {
			t.Errorf("no %s was measured", op)
		}
	}
	if rep.Total.Count == 0 || rep.Total.PerSec <= 0 || rep.Seconds <= 0 {
		t.Errorf("total %+v over %v s", rep.Total, rep.Seconds)
	}
	t.Logf("%d commands, %.0f/s", rep.Total.Count, rep.Total.PerSec)
}

// TestRunStopsAtDuration: a run against a server that never answers still
// ends at its duration, and reports its failures rather than hanging.
func TestRunStopsAtDuration(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accepts, never greets
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	for _, sc := range []Scenario{ScenarioIMAP, ScenarioPOP3Drop} {
		start := time.Now()
		rep, err := Run(context.Background(), Config{Scenario: sc, Addr: ln.Addr().String(), TLS: TLSNone,
			Users: GeneratedUsers("u", 1, "pw"), Clients: 3, Duration: 300 * time.Millisecond, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		// Bounded generously: the point is that it ends, not how fast.
		if el := time.Since(start); el > 20*time.Second {
			t.Errorf("%s: the run took %v for a duration of 300ms", sc, el)
		}
		if rep.Total.Count != 0 {
			t.Errorf("%s: %d commands succeeded against a silent server", sc, rep.Total.Count)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Scenario: ScenarioIMAP, Addr: "127.0.0.1:1", TLS: TLSNone, Users: GeneratedUsers("u", 1, "p"), Clients: 1, Duration: time.Second}
	if err := good.validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Config){
		"no address":   func(c *Config) { c.Addr = "" },
		"no users":     func(c *Config) { c.Users = nil },
		"no clients":   func(c *Config) { c.Clients = 0 },
		"no duration":  func(c *Config) { c.Duration = 0 },
		"bad scenario": func(c *Config) { c.Scenario = "x" },
		"bad tls":      func(c *Config) { c.TLS = "maybe" },
	} {
		c := good
		mod(&c)
		if err := c.validate(); err == nil {
			t.Errorf("%s: validate accepted it", name)
		}
	}
}

// TestRunRate: with a rate, no more commands are sent than the rate
// allows, however fast the server (an upper bound, not a timing: pacing
// guarantees it on any machine), and the run still does work.
func TestRunRate(t *testing.T) {
	users := GeneratedUsers("u", 2, "pw")
	addr := startMemServer(t, users)
	if _, err := Load(context.Background(), LoadConfig{Addr: addr, Users: users, Messages: 5, Seed: 1, Clients: 2}); err != nil {
		t.Fatal(err)
	}
	const rate, clients = 40.0, 2
	rep, err := Run(context.Background(), Config{Scenario: ScenarioIMAP, Addr: addr, TLS: TLSNone, Users: users,
		Clients: clients, Duration: time.Second, Warmup: 200 * time.Millisecond, Seed: 1, IdleFor: 10 * time.Millisecond, Rate: rate})
	if err != nil {
		t.Fatal(err)
	}
	// Commands that end in the window started at most one interval
	// before it: rate × (duration + one interval), plus one a client.
	limit := uint64(rate*(1+clients/rate)) + clients
	if rep.Total.Count > limit || rep.Total.Count == 0 {
		t.Errorf("%d commands at %v/s for 1 s, want 1 to %d", rep.Total.Count, rate, limit)
	}
	if rep.Rate != rate {
		t.Errorf("report says rate %v", rep.Rate)
	}
}
