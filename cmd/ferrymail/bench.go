package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrymail/ferrymail/bench/loadgen"
)

// The bench commands: a load generator for any IMAP or POP3 server
// (bench/loadgen), the loader that fills accounts with the same generated
// mail, and the comparison of two servers' reports. docs/benchmarks.md
// shows them at work; bench/compare.sh runs them against Ferrymail and
// Dovecot side by side.

// benchTarget are the flags that say which server and which accounts.
type benchTarget struct {
	imap, pop3  string
	tls         string
	insecure    bool
	usersFile   string
	userPrefix  string
	userCount   int
	password    string
	mailbox     string
	seed        uint64
	clients     int
	tlsMode     loadgen.TLSMode
	credentials []loadgen.Credential
}

func newBenchFlagSet(cmd *command, t *benchTarget) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&t.imap, "imap", "", "the IMAP server, HOST:PORT")
	fs.StringVar(&t.tls, "tls", "none", "none, starttls or implicit")
	fs.BoolVar(&t.insecure, "insecure-skip-verify", false, "accept the server's certificate without checking it")
	fs.StringVar(&t.usersFile, "users", "", "a file of USER:PASSWORD lines, the accounts to log in as")
	fs.StringVar(&t.userPrefix, "user-prefix", "bench", "without --users: accounts PREFIX1 … PREFIXN")
	fs.IntVar(&t.userCount, "user-count", 1, "without --users: how many accounts (N)")
	fs.StringVar(&t.password, "password", "", "without --users: the accounts' password")
	fs.StringVar(&t.mailbox, "mailbox", "INBOX", "IMAP: the mailbox to use")
	fs.Uint64Var(&t.seed, "seed", 1, "the seed of every random choice: runs with one seed send the same commands")
	fs.IntVar(&t.clients, "clients", 4, "concurrent connections")
	return fs
}

// check validates the target flags and reads the accounts.
func (t *benchTarget) check(cmd *command) error {
	for _, a := range []string{t.imap, t.pop3} {
		if a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			return usageErrorf("%s: %q: %v", cmd.name, a, err)
		}
	}
	mode, err := loadgen.ParseTLSMode(t.tls)
	if err != nil {
		return usageErrorf("%s: --tls: %v", cmd.name, err)
	}
	t.tlsMode = mode
	if t.clients < 1 || t.clients > 100_000 {
		return usageErrorf("%s: --clients must be from 1 to 100000", cmd.name)
	}
	switch {
	case t.usersFile != "":
		f, err := os.Open(t.usersFile)
		if err != nil {
			return err
		}
		defer f.Close()
		if t.credentials, err = loadgen.ParseUsers(f); err != nil {
			return fmt.Errorf("%s: %w", t.usersFile, err)
		}
	case t.password == "":
		return usageErrorf("%s: give --users FILE, or --password (with --user-prefix and --user-count)", cmd.name)
	case t.userCount < 1 || t.userCount > 1_000_000:
		return usageErrorf("%s: --user-count must be from 1 to 1000000", cmd.name)
	default:
		t.credentials = loadgen.GeneratedUsers(t.userPrefix, t.userCount, t.password)
	}
	return nil
}

// runBench: ferrymail bench (--imap ADDR | --pop3 ADDR) [flags]
func runBench(ctx context.Context, e *env, cmd *command, args []string) error {
	var t benchTarget
	fs := newBenchFlagSet(cmd, &t)
	fs.StringVar(&t.pop3, "pop3", "", "the POP3 server, HOST:PORT")
	pop3Mode := fs.String("pop3-mode", "drop", "POP3: drop (UIDL, RETR all, QUIT) or poll (UIDL, QUIT)")
	duration := fs.Duration("duration", 10*time.Second, "how long to measure")
	warmup := fs.Duration("warmup", 2*time.Second, "how long to run before measuring")
	mix := fs.String("mix", "", "IMAP: weights, e.g. FETCH-BODY=30,STORE=20,APPEND=8 (default: a mail client's mix)")
	idle := fs.Duration("idle", 100*time.Millisecond, "IMAP: how long each IDLE waits before DONE")
	rate := fs.Float64("rate", 0, "at most this many commands per second, all clients together (0: each client as fast as the server answers)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := parseExactly(cmd, fs, args, 0); err != nil {
		return err
	}
	if (t.imap == "") == (t.pop3 == "") {
		return usageErrorf("%s: give one of --imap HOST:PORT or --pop3 HOST:PORT", cmd.name)
	}
	if err := t.check(cmd); err != nil {
		return err
	}
	if *duration <= 0 || *warmup < 0 || *idle <= 0 || *rate < 0 {
		return usageErrorf("%s: --duration and --idle must be positive, --warmup and --rate not negative", cmd.name)
	}
	m, err := loadgen.ParseMix(*mix)
	if err != nil {
		return usageErrorf("%s: --%v", cmd.name, err)
	}
	cfg := loadgen.Config{Scenario: loadgen.ScenarioIMAP, Addr: t.imap, TLS: t.tlsMode, InsecureSkipVerify: t.insecure,
		Users: t.credentials, Clients: t.clients, Duration: *duration, Warmup: *warmup, Seed: t.seed, Mix: m,
		Mailbox: t.mailbox, IdleFor: *idle, Rate: *rate,
		Log: func(s string) { fmt.Fprintf(e.stderr, "ferrymail: bench: %s\n", oneLine(s)) }}
	if t.pop3 != "" {
		cfg.Addr = t.pop3
		switch *pop3Mode {
		case "drop":
			cfg.Scenario = loadgen.ScenarioPOP3Drop
		case "poll":
			cfg.Scenario = loadgen.ScenarioPOP3Poll
		default:
			return usageErrorf("%s: --pop3-mode %q: want drop or poll", cmd.name, *pop3Mode)
		}
		if t.clients > len(t.credentials) {
			// RFC 1939 §8: one session per maildrop; the others get -ERR [IN-USE].
			fmt.Fprintf(e.stderr, "ferrymail: bench: %d POP3 clients share %d accounts: servers that lock the maildrop will refuse some logins\n", t.clients, len(t.credentials))
		}
	}
	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		err = rep.WriteJSON(e.stdout)
	} else {
		err = rep.WriteTable(e.stdout)
	}
	if err != nil {
		return err
	}
	if rep.Total.Count == 0 {
		return errors.New("bench: no command succeeded")
	}
	return nil
}

// runBenchLoad: ferrymail bench load --imap ADDR --messages N [flags]
func runBenchLoad(ctx context.Context, e *env, cmd *command, args []string) error {
	var t benchTarget
	fs := newBenchFlagSet(cmd, &t)
	messages := fs.Int("messages", 100, "messages to APPEND to each account")
	quiet := fs.Bool("quiet", false, "no progress lines")
	if _, err := parseExactly(cmd, fs, args, 0); err != nil {
		return err
	}
	if t.imap == "" {
		return usageErrorf("%s: --imap HOST:PORT is required", cmd.name)
	}
	if *messages < 0 || *messages > 10_000_000 {
		return usageErrorf("%s: --messages must be from 0 to 10000000", cmd.name)
	}
	if err := t.check(cmd); err != nil {
		return err
	}
	cfg := loadgen.LoadConfig{Addr: t.imap, TLS: t.tlsMode, InsecureSkipVerify: t.insecure, Users: t.credentials,
		Messages: *messages, Seed: t.seed, Mailbox: t.mailbox, Clients: t.clients}
	if !*quiet {
		cfg.Progress = func(user string, done, total int) {
			fmt.Fprintf(e.stdout, "loaded %s (%d of %d accounts)\n", user, done, total)
		}
	}
	res, err := loadgen.Load(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "loaded %d messages (%.1f MB) into %d accounts in %.1f s\n",
		res.Messages, float64(res.Bytes)/1e6, res.Accounts, res.Elapsed.Seconds())
	return nil
}

// runBenchCompare: ferrymail bench compare [--json] LABEL=GLOB LABEL=GLOB
func runBenchCompare(ctx context.Context, e *env, cmd *command, args []string) error {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the comparison as JSON")
	pos, err := parseExactly(cmd, fs, args, 2)
	if err != nil {
		return err
	}
	var labels [2]string
	var reports [2][]*loadgen.Report
	for i, arg := range pos {
		label, pattern, ok := strings.Cut(arg, "=")
		if !ok || label == "" {
			return usageErrorf("%s: %q: want LABEL=GLOB", cmd.name, arg)
		}
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			return fmt.Errorf("%s: no report matches %q", label, pattern)
		}
		labels[i] = label
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			rep, err := loadgen.ReadReport(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			reports[i] = append(reports[i], rep)
		}
	}
	c := loadgen.Compare(labels[0], reports[0], labels[1], reports[1])
	if *asJSON {
		return c.WriteJSON(e.stdout)
	}
	return c.WriteTable(e.stdout)
}
