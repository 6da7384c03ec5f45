package main

import (
	"flag"
	"fmt"
	"net"
	"path/filepath"

	"github.com/ferrymail/ferrymail/importer/remote"
	"github.com/ferrymail/ferrymail/server/admin"
)

// liveServerFlags are the flags of an import from a live legacy server
// (import pop3, import imap): where it is, whom to log in as, and how.
type liveServerFlags struct {
	host, user, pwFile, tls *string
	insecure                *bool
	absPwFile               string // pwFile made absolute by check
}

// bind adds --host, --user, --password-file, --tls and
// --insecure-skip-verify to fs. proto names the server in the help
// ("POP3"); startTLS and implicit name its two TLS modes ("STLS", "POP3S").
func (l *liveServerFlags) bind(fs *flag.FlagSet, proto, startTLS, implicit string) {
	l.host = fs.String("host", "", "the "+proto+" server, HOST:PORT")
	l.user = fs.String("user", "", "the login name at the "+proto+" server")
	l.pwFile = fs.String("password-file", "", "a file whose first line is the password at the "+proto+" server")
	l.tls = fs.String("tls", "none", "how to reach the server: none, starttls ("+startTLS+") or implicit ("+implicit+")")
	l.insecure = fs.Bool("insecure-skip-verify", false, "accept the server's certificate without checking it (self-signed legacy servers)")
}

// parse parses the command line with fs, which takes no positional
// arguments, and checks --to and the live-server flags.
func (l *liveServerFlags) parse(cmd *command, fs *flag.FlagSet, f *importFlags, args []string) error {
	if _, err := parseExactly(cmd, fs, args, 0); err != nil {
		return err
	}
	if f.to == "" {
		return usageErrorf("%s: --to USER is required", cmd.name)
	}
	return l.check(cmd)
}

// check refuses missing or malformed flags with a usage error and makes
// the password file's path absolute: a running server reads the file,
// from another working directory.
func (l *liveServerFlags) check(cmd *command) error {
	if *l.host == "" || *l.user == "" || *l.pwFile == "" {
		return usageErrorf("%s: --host HOST:PORT, --user U and --password-file F are required", cmd.name)
	}
	if _, _, err := net.SplitHostPort(*l.host); err != nil {
		return usageErrorf("%s: --host %q: %v", cmd.name, *l.host, err)
	}
	if _, err := remote.ParseTLSMode(*l.tls); err != nil {
		return usageErrorf("%s: --tls: %v", cmd.name, err)
	}
	abs, err := filepath.Abs(*l.pwFile)
	if err != nil {
		return fmt.Errorf("%s: %w", *l.pwFile, err)
	}
	l.absPwFile = abs
	return nil
}

// apply copies the checked flags into req.
func (l *liveServerFlags) apply(req *admin.ImportRequest) {
	req.Host, req.RemoteUser, req.PasswordFile = *l.host, *l.user, l.absPwFile
	req.TLS, req.InsecureSkipVerify = *l.tls, *l.insecure
}
