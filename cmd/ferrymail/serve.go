package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/ferrymail/ferrymail/internal/observe"
	"github.com/ferrymail/ferrymail/server"
	"github.com/ferrymail/ferrymail/server/config"
)

// runServe: ferrymail serve [--config FILE] [flags]. The configuration is
// the file (docs/configuration.md) with the flags that were given on top;
// every problem with the result is printed before the server starts. It
// runs until ctx is cancelled (SIGINT or SIGTERM) and then stops cleanly;
// SIGHUP re-reads the TLS certificate files.
func runServe(ctx context.Context, e *env, cmd *command, args []string) error {
	var c commonFlags
	fs := newFlagSet(cmd, &c)
	def := config.Default()
	configFile := fs.String("config", "", "configuration file (TOML, docs/configuration.md)")
	pop3Addr := fs.String("pop3", def.POP3.Addr, "POP3 listen address")
	imapAddr := fs.String("imap", def.IMAP.Addr, "IMAP listen address")
	pop3sAddr := fs.String("pop3s", "", "POP3 over implicit TLS listen address (none when empty)")
	imapsAddr := fs.String("imaps", "", "IMAP over implicit TLS listen address (none when empty)")
	lmtpAddr := fs.String("lmtp", "", `LMTP listen address ("unix:/path" or host:port; none when empty)`)
	tlsCert := fs.String("tls-cert", "", "TLS certificate chain (PEM)")
	tlsKey := fs.String("tls-key", "", "TLS private key (PEM)")
	startTLS := fs.String("starttls", def.TLS.StartTLS, "offer STARTTLS/STLS: auto, on or off")
	plainAuth := fs.Bool("allow-plaintext-auth", false, "allow logins without TLS from addresses other than loopback")
	rehash := fs.Bool("rehash-passwords", false, "replace imported password hashes with argon2id at the next successful login")
	logFormat := fs.String("log-format", def.Log.Format, "log format: text or json")
	logLevel := fs.String("log-level", def.Log.Level, "log level: debug, info, warn or error")
	metricsAddr := fs.String("metrics", "", "admin HTTP listen address for /metrics and /healthz (none when empty; use loopback)")
	pprof := fs.Bool("pprof", false, "also serve /debug/pprof/ on the --metrics listener (loopback only)")
	if _, err := parseExactly(cmd, fs, args, 0); err != nil {
		return err
	}

	cfg := def
	if *configFile != "" {
		var err error
		if cfg, err = config.Load(*configFile); err != nil {
			return err
		}
	}
	// Only the flags actually given override the file: a flag's default
	// must not undo what the file says.
	overrides := map[string]struct {
		key string
		set func()
	}{
		"data":                 {"data", func() { cfg.DataDir = c.dataDir }},
		"pop3":                 {"pop3.addr", func() { cfg.POP3.Addr = *pop3Addr }},
		"imap":                 {"imap.addr", func() { cfg.IMAP.Addr = *imapAddr }},
		"pop3s":                {"pop3.pop3s_addr", func() { cfg.POP3.POP3SAddr = *pop3sAddr }},
		"imaps":                {"imap.imaps_addr", func() { cfg.IMAP.IMAPSAddr = *imapsAddr }},
		"lmtp":                 {"lmtp.addr", func() { cfg.LMTP.Addr = *lmtpAddr }},
		"tls-cert":             {"tls.cert", func() { cfg.TLS.Cert = *tlsCert }},
		"tls-key":              {"tls.key", func() { cfg.TLS.Key = *tlsKey }},
		"starttls":             {"tls.starttls", func() { cfg.TLS.StartTLS = *startTLS }},
		"allow-plaintext-auth": {"tls.allow_plaintext_auth", func() { cfg.TLS.AllowPlaintextAuth = *plainAuth }},
		"rehash-passwords":     {"passwords.rehash_on_login", func() { cfg.Passwords.RehashOnLogin = *rehash }},
		"log-format":           {"log.format", func() { cfg.Log.Format = *logFormat }},
		"log-level":            {"log.level", func() { cfg.Log.Level = *logLevel }},
		"metrics":              {"metrics.addr", func() { cfg.Metrics.Addr = *metricsAddr }},
		"pprof":                {"metrics.pprof", func() { cfg.Metrics.Pprof = *pprof }},
	}
	fs.Visit(func(f *flag.Flag) {
		if o, ok := overrides[f.Name]; ok {
			o.set()
			cfg.SetByFlag(o.key, f.Name)
		}
	})
	if err := cfg.Validate(); err != nil {
		return printProblems(e.stderr, err)
	}

	logger := newLogger(e.stderr, cfg.Log)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	return server.New(serverOptions(cfg, logger, reloadOnSIGHUP(ctx))).Run(ctx)
}

// serverOptions turns a validated configuration into server.Options.
func serverOptions(cfg config.Config, logger *slog.Logger, reload <-chan struct{}) server.Options {
	startTLS := map[string]server.StartTLS{
		config.StartTLSAuto: server.StartTLSAuto,
		config.StartTLSOn:   server.StartTLSOn,
		config.StartTLSOff:  server.StartTLSOff,
	}[cfg.TLS.StartTLS]
	return server.Options{
		DataDir:           cfg.DataDir,
		Logger:            logger,
		POP3Addr:          cfg.POP3.Addr,
		IMAPAddr:          cfg.IMAP.Addr,
		POP3SAddr:         cfg.POP3.POP3SAddr,
		IMAPSAddr:         cfg.IMAP.IMAPSAddr,
		LMTPAddr:          cfg.LMTP.Addr,
		RehashPasswords:   cfg.Passwords.RehashOnLogin,
		TLS:               server.TLSOptions{CertFile: cfg.TLS.Cert, KeyFile: cfg.TLS.Key, StartTLS: startTLS},
		AllowInsecureAuth: cfg.TLS.AllowPlaintextAuth,
		UIDLTemplate:      cfg.UIDL.Template,
		Reload:            reload,
		MetricsAddr:       cfg.Metrics.Addr,
		Pprof:             cfg.Metrics.Pprof,
		Limits:            cfg.Limits.Config(),
	}
}

// printProblems writes one line per configuration problem and returns the
// error that ends the command.
func printProblems(w io.Writer, err error) error {
	var ps config.Problems
	if !errors.As(err, &ps) {
		return err
	}
	for _, p := range ps {
		fmt.Fprintf(w, "ferrymail: %s\n", p)
	}
	if len(ps) == 1 {
		return fmt.Errorf("the configuration has a problem (above)")
	}
	return fmt.Errorf("the configuration has %d problems (above)", len(ps))
}

// newLogger builds the server's logger from the [log] section.
func newLogger(w io.Writer, lc config.Log) *slog.Logger {
	// Validate admitted only formats and levels that NewLogger accepts.
	logger, err := observe.NewLogger(w, lc.Format, lc.Level)
	if err != nil {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return logger
}

// reloadOnSIGHUP returns a channel that receives once per SIGHUP until
// ctx ends. Catching SIGHUP also keeps its default action, ending the
// process, from stopping the server.
func reloadOnSIGHUP(ctx context.Context) <-chan struct{} {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reload := make(chan struct{}, 1)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				select {
				case reload <- struct{}{}:
				default: // a reload is pending already
				}
			}
		}
	}()
	return reload
}
