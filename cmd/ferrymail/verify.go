package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/ferrymail/ferrymail/importer/remote"
	"github.com/ferrymail/ferrymail/importer/verify"
)

// Exit statuses of "ferrymail verify", besides exitOK (identical) and
// exitUsage:
const (
	// exitDifferences: both servers were read and they differ (the common
	// failure status, as diff(1) has it).
	exitDifferences = exitError
	// exitUnreachable: a server could not be reached, refused the login or
	// broke the conversation; nothing was compared.
	exitUnreachable = 3
)

// runVerify: ferrymail verify --old-host H:P --old-user U --old-password-file F [--old-tls MODE]
// --new-host H:P --new-user U --new-password-file F [--new-tls MODE] [--old-pop3 H:P --new-pop3 H:P]
// [--pop3-tls MODE] [--insecure-skip-verify] [--mailbox PATTERN]... [--imap-client imapclient|tolerant] [--max-lines N]
func runVerify(ctx context.Context, e *env, cmd *command, args []string) error {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var old, new sideFlags
	old.bind(fs, "old")
	new.bind(fs, "new")
	oldPOP3 := fs.String("old-pop3", "", "the old POP3 server, HOST:PORT (same user and password file as --old-user)")
	newPOP3 := fs.String("new-pop3", "", "the new POP3 server, HOST:PORT (same user and password file as --new-user)")
	pop3TLS := fs.String("pop3-tls", "none", "how to reach both POP3 servers: none, starttls (STLS) or implicit (POP3S)")
	insecure := fs.Bool("insecure-skip-verify", false, "accept the servers' certificates without checking them (self-signed servers)")
	client := fs.String("imap-client", "tolerant", "the IMAP client that reads both servers: imapclient (go-imap's) or tolerant (the importer's own, for legacy servers imapclient cannot read)")
	maxLines := fs.Int("max-lines", verify.DefaultMaxLines, "differences printed per mailbox before \"… and K more\"")
	var patterns multiFlag
	fs.Var(&patterns, "mailbox", "compare only mailboxes matching this LIST pattern (* and %, \"/\" separated); repeatable")
	if _, err := parseExactly(cmd, fs, args, 0); err != nil {
		return err
	}
	if (*oldPOP3 == "") != (*newPOP3 == "") {
		return usageErrorf("%s: --old-pop3 and --new-pop3 go together", cmd.name)
	}
	var o verify.Options
	var err error
	if o.Old, err = old.endpoint(cmd, *insecure); err != nil {
		return err
	}
	if o.New, err = new.endpoint(cmd, *insecure); err != nil {
		return err
	}
	if *oldPOP3 != "" {
		mode, err := remote.ParseTLSMode(*pop3TLS)
		if err != nil {
			return usageErrorf("%s: --pop3-tls: %v", cmd.name, err)
		}
		for _, a := range []string{*oldPOP3, *newPOP3} {
			if _, _, err := net.SplitHostPort(a); err != nil {
				return usageErrorf("%s: POP3 server %q: %v", cmd.name, a, err)
			}
		}
		o.OldPOP3, o.NewPOP3 = o.Old, o.New
		o.OldPOP3.Addr, o.NewPOP3.Addr = *oldPOP3, *newPOP3
		o.OldPOP3.TLS, o.NewPOP3.TLS = mode, mode
	}
	o.Patterns = patterns
	switch *client {
	case "imapclient":
		o.IMAP = verify.IMAPClientReader{}
	case "tolerant":
		o.IMAP = verify.TolerantReader{}
	default:
		return usageErrorf("%s: --imap-client %q: want imapclient or tolerant", cmd.name, *client)
	}

	res, err := verify.Run(ctx, o)
	switch {
	case err != nil && ctx.Err() == nil:
		// Whether the connection or the login failed (a *verify.ConnectError)
		// or the conversation broke off later, nothing was compared.
		return &codedError{code: exitUnreachable, err: fmt.Errorf("%s: could not read %w", cmd.name, err)}
	case err != nil:
		return fmt.Errorf("%s: %w", cmd.name, err)
	}
	if err := res.Write(e.stdout, *maxLines); err != nil {
		return err
	}
	if n := res.Differences(); n > 0 {
		return fmt.Errorf("%s: %d differences between %s and %s: clients would notice (see above)", cmd.name, n, o.Old.Addr, o.New.Addr)
	}
	return nil
}

// sideFlags are one server's flags: --old-host or --new-host and the rest.
type sideFlags struct {
	side                     string
	host, user, pwFile, mode *string
}

func (s *sideFlags) bind(fs *flag.FlagSet, side string) {
	s.side = side
	s.host = fs.String(side+"-host", "", "the "+side+" IMAP server, HOST:PORT")
	s.user = fs.String(side+"-user", "", "the login name at the "+side+" server")
	s.pwFile = fs.String(side+"-password-file", "", "a file whose first line is the password at the "+side+" server")
	s.mode = fs.String(side+"-tls", "none", "how to reach the "+side+" IMAP server: none, starttls or implicit (IMAPS)")
}

func (s *sideFlags) endpoint(cmd *command, insecure bool) (verify.Endpoint, error) {
	if *s.host == "" || *s.user == "" || *s.pwFile == "" {
		return verify.Endpoint{}, usageErrorf("%s: --%[2]s-host HOST:PORT, --%[2]s-user U and --%[2]s-password-file F are required", cmd.name, s.side)
	}
	if _, _, err := net.SplitHostPort(*s.host); err != nil {
		return verify.Endpoint{}, usageErrorf("%s: --%s-host %q: %v", cmd.name, s.side, *s.host, err)
	}
	mode, err := remote.ParseTLSMode(*s.mode)
	if err != nil {
		return verify.Endpoint{}, usageErrorf("%s: --%s-tls: %v", cmd.name, s.side, err)
	}
	pw, err := remote.ReadPasswordFile(*s.pwFile)
	switch {
	case errors.Is(err, remote.ErrEmptyPassword):
		return verify.Endpoint{}, fmt.Errorf("%s: %w", cmd.name, err)
	case err != nil:
		return verify.Endpoint{}, fmt.Errorf("%s: reading the %s password file: %w", cmd.name, s.side, err)
	}
	return verify.Endpoint{Addr: *s.host, User: *s.user, Password: pw, TLS: mode, InsecureSkipVerify: insecure}, nil
}

// multiFlag is a flag that may be given more than once.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
