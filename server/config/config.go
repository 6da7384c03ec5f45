// Package config is the configuration of "ferrymail serve": one TOML file
// (github.com/BurntSushi/toml), command-line flags over it, and a check of
// the result that lists every problem at once.
//
// The zero configuration (no file, no flags) is Default(): a working server
// on loopback with its data in ./ferrymail-data, as DESIGN.md promises.
// docs/configuration.md documents every key; config_doc_test.go parses the
// example there, so that the document and this struct cannot drift apart.
//
// Flow: Load (or Default) → the caller overrides the keys whose flags were
// given and calls SetByFlag for each → Validate → the caller turns the
// Config into server.Options. Nothing here opens a listener or the store.
package config

import (
	"time"

	"github.com/ferrymail/ferrymail/internal/limits"
)

// Config is the whole configuration. Every field has a default (Default)
// and a doc comment; the TOML key is in the field's tag.
type Config struct {
	// DataDir holds the store, the admin socket and a generated
	// self-signed certificate. Default ./ferrymail-data. Flag --data.
	DataDir string `toml:"data"`

	IMAP      IMAP      `toml:"imap"`
	POP3      POP3      `toml:"pop3"`
	LMTP      LMTP      `toml:"lmtp"`
	TLS       TLS       `toml:"tls"`
	Log       Log       `toml:"log"`
	Metrics   Metrics   `toml:"metrics"`
	Limits    Limits    `toml:"limits"`
	Passwords Passwords `toml:"passwords"`
	UIDL      UIDL      `toml:"uidl"`

	// source is where the configuration came from, for error messages:
	// the file, each key's line in it, and the keys that flags set.
	source source
}

// IMAP is the [imap] section.
type IMAP struct {
	// Addr is the plain IMAP listener (STARTTLS when a certificate is
	// available). Default 127.0.0.1:1143. Flag --imap.
	Addr string `toml:"addr"`
	// IMAPSAddr is the implicit-TLS IMAP listener (RFC 8314 §3.3, port
	// 993 by convention); "" means none. Flag --imaps.
	IMAPSAddr string `toml:"imaps_addr"`
}

// POP3 is the [pop3] section.
type POP3 struct {
	// Addr is the plain POP3 listener (STLS when a certificate is
	// available). Default 127.0.0.1:1110. Flag --pop3.
	Addr string `toml:"addr"`
	// POP3SAddr is the implicit-TLS POP3 listener (RFC 8314 §3.3, port
	// 995 by convention); "" means none. Flag --pop3s.
	POP3SAddr string `toml:"pop3s_addr"`
}

// LMTP is the [lmtp] section.
type LMTP struct {
	// Addr is the LMTP listener (RFC 2033): "unix:/path" or host:port;
	// "" means none. Flag --lmtp.
	Addr string `toml:"addr"`
}

// StartTLS modes of TLS.StartTLS.
const (
	// StartTLSAuto offers STARTTLS/STLS whenever a certificate is
	// available: configured files, or the self-signed one that an
	// implicit-TLS listener caused to be made.
	StartTLSAuto = "auto"
	// StartTLSOn always offers it, generating a self-signed certificate
	// when no files are configured.
	StartTLSOn = "on"
	// StartTLSOff never offers it; implicit-TLS listeners still work.
	StartTLSOff = "off"
)

// TLS is the [tls] section.
type TLS struct {
	// Cert and Key are PEM files (the certificate chain, leaf first, and
	// its private key), re-read on SIGHUP. Both or neither. Without them
	// and with TLS asked for, a self-signed certificate is generated in
	// the data directory. Flags --tls-cert, --tls-key.
	Cert string `toml:"cert"`
	Key  string `toml:"key"`
	// StartTLS is auto, on or off (see StartTLSAuto …). Default auto.
	// Flag --starttls.
	StartTLS string `toml:"starttls"`
	// AllowPlaintextAuth lets clients that are not on loopback log in
	// without TLS. Default false: RFC 8314 §3 and RFC 9051 §6.2.3
	// (LOGINDISABLED). Flag --allow-plaintext-auth.
	AllowPlaintextAuth bool `toml:"allow_plaintext_auth"`
}

// Log formats and levels of the [log] section.
const (
	LogText = "text"
	LogJSON = "json"
)

// LogLevels are the accepted [log] level values, lowest first.
var LogLevels = []string{"debug", "info", "warn", "error"}

// Log is the [log] section.
type Log struct {
	// Format is text or json (log/slog's handlers). Default text.
	Format string `toml:"format"`
	// Level is debug, info, warn or error. Default info.
	Level string `toml:"level"`
}

// Metrics is the [metrics] section (docs/observability.md).
type Metrics struct {
	// Addr is the admin HTTP listener: Prometheus /metrics and /healthz.
	// "" means none (the default). The metrics are not authenticated: use
	// a loopback address. Flag --metrics.
	Addr string `toml:"addr"`
	// Pprof also serves net/http/pprof under /debug/pprof/ there, for
	// profiling; loopback only. Default false. Flag --pprof.
	Pprof bool `toml:"pprof"`
}

// Limits is the [limits] section: connection limits, login rate limits and
// idle timeouts. Durations are TOML strings ("10m"); negative values are
// refused by Validate (checkLimits).
type Limits struct {
	// MaxConnectionsPerIP bounds the connections one remote address has
	// open to each listener at once (an IPv6 address counts as its /64;
	// loopback is not exempt). The one too many is greeted with IMAP
	// "* BYE", POP3 "-ERR [SYS/TEMP]" or LMTP "421" and closed; on an
	// implicit-TLS listener it is closed. 0 means no limit. Default 50.
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"`
	// MaxConnectionsPerUser bounds the IMAP sessions logged in as one
	// user at once: the one too many gets "NO [LIMIT]" (RFC 5530) at
	// LOGIN. POP3 needs none: its maildrop lock allows one session per
	// user (RFC 1939 §8). 0 means no limit. Default 20.
	MaxConnectionsPerUser int `toml:"max_connections_per_user"`
	// LoginFailures failed logins from one address (IMAP and POP3
	// together) within LoginFailureWindow block it for LoginBlock: its
	// logins are refused without checking the password. 0 turns this
	// off. Default 10.
	LoginFailures int `toml:"login_failures"`
	// LoginFailureWindow: default 5m.
	LoginFailureWindow Duration `toml:"login_failure_window"`
	// LoginBlock: default 15m.
	LoginBlock Duration `toml:"login_block"`
	// POP3IdleTimeout ends a POP3 session that sends nothing for this
	// long; RFC 1939 §3 requires at least 10m. Default 10m.
	POP3IdleTimeout Duration `toml:"pop3_idle_timeout"`
	// LMTPTimeout bounds each LMTP command and block of DATA; RFC 5321
	// §4.5.3.2.7 gives 5m. Default 5m.
	LMTPTimeout Duration `toml:"lmtp_timeout"`
}

// Passwords is the [passwords] section.
type Passwords struct {
	// RehashOnLogin replaces an imported password hash ({SHA512-CRYPT} …)
	// with a native argon2id one at the user's next successful login.
	// Default false. Flag --rehash-passwords.
	RehashOnLogin bool `toml:"rehash_on_login"`
}

// UIDL is the [uidl] section.
type UIDL struct {
	// Template renders the POP3 UIDL of natively delivered messages
	// (docs/store.md): %u the UID, %v the UIDVALIDITY, with printf-style
	// width and X for hex. Default "%08Xu%08Xv" (Dovecot's default).
	Template string `toml:"template"`
}

// Defaults of the keys that have one besides the zero value. The server
// package has its own copies for callers that build Options by hand; the
// config test checks that they agree.
const (
	DefaultDataDir      = "./ferrymail-data"
	DefaultIMAPAddr     = "127.0.0.1:1143"
	DefaultPOP3Addr     = "127.0.0.1:1110"
	DefaultUIDLTemplate = "%08Xu%08Xv"
)

// Default returns the zero configuration: what serve runs with when there
// is no file and no flag.
func Default() Config {
	return Config{
		DataDir: DefaultDataDir,
		IMAP:    IMAP{Addr: DefaultIMAPAddr},
		POP3:    POP3{Addr: DefaultPOP3Addr},
		TLS:     TLS{StartTLS: StartTLSAuto},
		Log:     Log{Format: LogText, Level: "info"},
		UIDL:    UIDL{Template: DefaultUIDLTemplate},
		Limits: Limits{
			MaxConnectionsPerIP:   DefaultMaxConnectionsPerIP,
			MaxConnectionsPerUser: DefaultMaxConnectionsPerUser,
			LoginFailures:         DefaultLoginFailures,
			LoginFailureWindow:    NewDuration(DefaultLoginFailureWindow),
			LoginBlock:            NewDuration(DefaultLoginBlock),
			POP3IdleTimeout:       NewDuration(DefaultPOP3IdleTimeout),
			LMTPTimeout:           NewDuration(DefaultLMTPTimeout),
		},
	}
}

// Config turns the [limits] section into the server's limits.Config
// (server.Options.Limits).
func (l Limits) Config() limits.Config {
	return limits.Config{
		MaxConnectionsPerIP:   l.MaxConnectionsPerIP,
		MaxConnectionsPerUser: l.MaxConnectionsPerUser,
		Logins: limits.LoginOptions{
			Failures: l.LoginFailures, // 0: no limiter (limits.Config)
			Window:   l.LoginFailureWindow.Duration,
			Block:    l.LoginBlock.Duration,
		},
		POP3IdleTimeout: l.POP3IdleTimeout.Duration,
		LMTPTimeout:     l.LMTPTimeout.Duration,
	}
}

// Defaults of the [limits] section (see Limits for the reasons).
const (
	DefaultMaxConnectionsPerIP   = 50
	DefaultMaxConnectionsPerUser = 20
	DefaultLoginFailures         = 10
	DefaultLoginFailureWindow    = 5 * time.Minute
	DefaultLoginBlock            = 15 * time.Minute
	DefaultPOP3IdleTimeout       = 10 * time.Minute // RFC 1939 §3: at least 10 minutes
	DefaultLMTPTimeout           = 5 * time.Minute  // RFC 5321 §4.5.3.2.7
	// MinPOP3IdleTimeout: RFC 1939 §3 "such a timer MUST be of at least
	// 10 minutes' duration".
	MinPOP3IdleTimeout = 10 * time.Minute
)
