package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/ferrymail/ferrymail/store"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	Where string // "file:line", "file", "flag --name" or "" for a default
	Key   string // dotted TOML key, "imap.addr"
	Msg   string
}

func (p *Problem) Error() string {
	if p.Where == "" {
		return p.Key + ": " + p.Msg
	}
	return p.Where + ": " + p.Key + ": " + p.Msg
}

// Problems is every problem Validate found, in the order of the keys.
type Problems []*Problem

func (ps Problems) Error() string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap lets errors.As find each *Problem.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

// Validate checks the configuration and returns nil or a Problems with one
// entry per problem: all of them at once, so that an administrator fixes
// the file in one go.
func (c *Config) Validate() error {
	v := validator{cfg: c}
	for _, u := range c.source.unknown {
		what := "unknown key"
		if u.section {
			what = "unknown section"
		}
		v.add(u.key, "%s (see docs/configuration.md)", what)
	}
	if c.DataDir == "" {
		v.add("data", "must not be empty")
	}
	v.hostPort("imap.addr", c.IMAP.Addr, required)
	v.hostPort("imap.imaps_addr", c.IMAP.IMAPSAddr, optional)
	v.hostPort("pop3.addr", c.POP3.Addr, required)
	v.hostPort("pop3.pop3s_addr", c.POP3.POP3SAddr, optional)
	if p, ok := strings.CutPrefix(c.LMTP.Addr, "unix:"); ok {
		if p == "" {
			v.add("lmtp.addr", `"unix:" needs a socket path, as in "unix:/run/ferrymail/lmtp.sock"`)
		}
	} else {
		v.hostPort("lmtp.addr", c.LMTP.Addr, optional)
	}
	v.checkTLS()
	v.oneOf("log.format", c.Log.Format, []string{LogText, LogJSON})
	v.oneOf("log.level", c.Log.Level, LogLevels)
	v.hostPort("metrics.addr", c.Metrics.Addr, optional)
	v.checkLimits()
	if _, err := store.ParseUIDLTemplate(c.UIDL.Template); err != nil {
		v.add("uidl.template", "%v", err)
	}
	if len(v.problems) == 0 {
		return nil
	}
	return v.problems
}

// validator collects problems.
type validator struct {
	cfg      *Config
	problems Problems
}

func (v *validator) add(key, format string, args ...any) {
	v.problems = append(v.problems, &Problem{Where: v.cfg.where(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// presence says whether an address may be empty.
type presence uint8

const (
	required presence = iota
	optional          // "" turns the listener off
)

// hostPort checks a TCP listen address: host:port with a numeric port,
// an IP literal or a name for the host ("" or "[::]" for every address).
func (v *validator) hostPort(key, addr string, p presence) {
	if addr == "" {
		if p == required {
			v.add(key, "must not be empty")
		}
		return
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.add(key, "bad address %q: want host:port, as in \"127.0.0.1:993\" or \"[::1]:993\"", addr)
		return
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		v.add(key, "bad address %q: port %q is not a number from 0 to 65535", addr, port)
		return
	}
	if strings.ContainsAny(host, " /\\") {
		v.add(key, "bad address %q: host %q is neither an IP address nor a name", addr, host)
	}
}

// oneOf checks an enumerated value.
func (v *validator) oneOf(key, val string, allowed []string) {
	if !slices.Contains(allowed, val) {
		v.add(key, "%q is not one of %s", val, strings.Join(allowed, ", "))
	}
}

// duration checks a duration key.
func (v *validator) duration(key string, d Duration) {
	if msg := d.check(); msg != "" {
		v.add(key, "%s", msg)
	}
}

// nonNegative checks a count or size.
func (v *validator) nonNegative(key string, n int) {
	if n < 0 {
		v.add(key, "%d is negative", n)
	}
}

// checkTLS: both files or neither, readable, and a certificate that goes
// with the key. The files are loaded once here so that a mistake stops
// the server at start rather than at the first TLS handshake.
func (v *validator) checkTLS() {
	t := v.cfg.TLS
	v.oneOf("tls.starttls", t.StartTLS, []string{StartTLSAuto, StartTLSOn, StartTLSOff})
	switch {
	case t.Cert == "" && t.Key == "":
		return
	case t.Cert == "":
		v.add("tls.key", "a key without a certificate: set tls.cert too")
		return
	case t.Key == "":
		v.add("tls.cert", "a certificate without a key: set tls.key too")
		return
	}
	certOK := v.readable("tls.cert", t.Cert)
	keyOK := v.readable("tls.key", t.Key)
	if !certOK || !keyOK {
		return
	}
	if _, err := tls.LoadX509KeyPair(t.Cert, t.Key); err != nil {
		v.add("tls.cert", "%s and %s are not a certificate and its key: %v", t.Cert, t.Key, err)
	}
}

// readable reports whether the file can be read, adding a problem if not.
// It must be a regular file: a FIFO would block the start, a device such
// as /dev/zero would never end.
func (v *validator) readable(key, path string) bool {
	fi, err := os.Stat(path)
	if err == nil && !fi.Mode().IsRegular() {
		v.add(key, "%s is not a regular file (a PEM file is expected)", path)
		return false
	}
	var f *os.File
	if err == nil {
		f, err = os.Open(path)
	}
	switch {
	case err == nil:
		f.Close()
		return true
	case errors.Is(err, os.ErrNotExist):
		v.add(key, "%s does not exist", path)
	case errors.Is(err, os.ErrPermission):
		v.add(key, "%s cannot be read (permission denied)", path)
	default:
		v.add(key, "%v", err)
	}
	return false
}

// checkLimits checks the [limits] section: every duration and count must
// be zero or more.
func (v *validator) checkLimits() {
	l := v.cfg.Limits
	v.nonNegative("limits.max_connections_per_ip", l.MaxConnectionsPerIP)
	v.nonNegative("limits.max_connections_per_user", l.MaxConnectionsPerUser)
	v.nonNegative("limits.login_failures", l.LoginFailures)
	v.duration("limits.login_failure_window", l.LoginFailureWindow)
	v.duration("limits.login_block", l.LoginBlock)
	v.duration("limits.lmtp_timeout", l.LMTPTimeout)
	v.duration("limits.pop3_idle_timeout", l.POP3IdleTimeout)
	if t := l.POP3IdleTimeout; t.check() == "" && t.Duration < MinPOP3IdleTimeout {
		v.add("limits.pop3_idle_timeout", "%s is below the 10m that RFC 1939 §3 requires", t.Duration)
	}
	if l.LoginFailures > 0 {
		if d := l.LoginFailureWindow; d.check() == "" && d.Duration == 0 {
			v.add("limits.login_failure_window", "must be more than 0 while limits.login_failures is set")
		}
		if d := l.LoginBlock; d.check() == "" && d.Duration == 0 {
			v.add("limits.login_block", "must be more than 0 while limits.login_failures is set")
		}
	}
	if l.LMTPTimeout.check() == "" && l.LMTPTimeout.Duration == 0 {
		v.add("limits.lmtp_timeout", "must be more than 0")
	}
}
