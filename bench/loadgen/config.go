package loadgen

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"strings"
	"time"
)

// Scenario is what the clients do.
type Scenario string

const (
	ScenarioIMAP     Scenario = "imap-mix"  // the IMAP session mix
	ScenarioPOP3Drop Scenario = "pop3-drop" // POP3: UIDL, RETR all, QUIT
	ScenarioPOP3Poll Scenario = "pop3-poll" // POP3: UIDL, QUIT (leave on server)
)

// TLSMode is how a connection is secured.
type TLSMode string

const (
	TLSNone     TLSMode = "none"
	TLSStartTLS TLSMode = "starttls" // STARTTLS (RFC 9051 §6.2.1) or STLS (RFC 2595 §4)
	TLSImplicit TLSMode = "implicit" // IMAPS/POP3S (RFC 8314)
)

// ParseTLSMode reads none, starttls or implicit.
func ParseTLSMode(s string) (TLSMode, error) {
	switch m := TLSMode(strings.ToLower(s)); m {
	case TLSNone, TLSStartTLS, TLSImplicit:
		return m, nil
	}
	return "", fmt.Errorf("unknown TLS mode %q (none, starttls or implicit)", s)
}

// Credential is one account the load runs as.
type Credential struct {
	User, Password string
}

// Config is one run.
type Config struct {
	Scenario Scenario
	Addr     string // HOST:PORT
	TLS      TLSMode
	// InsecureSkipVerify accepts any certificate (a test server's
	// self-signed one).
	InsecureSkipVerify bool
	Users              []Credential // client i logs in as Users[i % len(Users)]
	Clients            int
	Duration           time.Duration // measured
	Warmup             time.Duration // run before, not measured
	Seed               uint64
	Mix                Mix           // IMAP only
	Mailbox            string        // IMAP only; "" is INBOX
	IdleFor            time.Duration // IMAP: how long one IDLE waits; 0 is 100ms
	// Rate, when positive, caps the commands sent per second (all clients
	// together; each client paces itself at Rate/Clients). 0 is a closed
	// loop: each client sends its next command as soon as the last is
	// answered, so a faster server is given more work. At a fixed rate
	// two servers' latencies are measured under the same load.
	Rate float64
	// Log, when set, receives one line per error, at most maxLoggedErrors.
	Log func(string)
}

// maxLoggedErrors bounds the error lines passed to Config.Log: a server
// that fails every command must not flood the terminal.
const maxLoggedErrors = 20

func (c *Config) tlsConfig() *tls.Config {
	host := c.Addr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return &tls.Config{ServerName: strings.Trim(host, "[]"), InsecureSkipVerify: c.InsecureSkipVerify}
}

func (c *Config) validate() error {
	switch {
	case c.Addr == "":
		return fmt.Errorf("no server address")
	case len(c.Users) == 0:
		return fmt.Errorf("no accounts to log in as")
	case c.Clients < 1:
		return fmt.Errorf("clients must be at least 1")
	case c.Duration <= 0:
		return fmt.Errorf("duration must be positive")
	case c.Warmup < 0:
		return fmt.Errorf("warmup must not be negative")
	case c.Rate < 0:
		return fmt.Errorf("rate must not be negative")
	}
	switch c.Scenario {
	case ScenarioIMAP, ScenarioPOP3Drop, ScenarioPOP3Poll:
	default:
		return fmt.Errorf("unknown scenario %q", c.Scenario)
	}
	if _, err := ParseTLSMode(string(c.TLS)); err != nil {
		return err
	}
	return nil
}

// maxUsersLine bounds a line of a users file.
const maxUsersLine = 4096

// ParseUsers reads a users file: one account a line, "USER:PASSWORD"
// (the first two fields of a Dovecot passwd-file line, so a passwd-file
// with {PLAIN} passwords works once the scheme prefix is stripped: a
// leading "{PLAIN}" is removed). Blank lines and lines starting with "#"
// are skipped.
func ParseUsers(r io.Reader) ([]Credential, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxUsersLine)
	var out []Credential
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		user, rest, ok := strings.Cut(line, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("line %d: want USER:PASSWORD", n)
		}
		pw, _, _ := strings.Cut(rest, ":")
		pw = strings.TrimPrefix(pw, "{PLAIN}")
		if pw == "" {
			return nil, fmt.Errorf("line %d: empty password for %q", n, user)
		}
		if strings.ContainsAny(user+pw, "\r\n\x00") {
			return nil, fmt.Errorf("line %d: control character in user or password", n)
		}
		out = append(out, Credential{User: user, Password: pw})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading users: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no users")
	}
	return out, nil
}

// GeneratedUsers returns count accounts named prefix1 … prefixN, all with
// one password: the accounts that bench/compare.sh creates.
func GeneratedUsers(prefix string, count int, password string) []Credential {
	out := make([]Credential, count)
	for i := range out {
		out[i] = Credential{User: fmt.Sprintf("%s%d", prefix, i+1), Password: password}
	}
	return out
}
