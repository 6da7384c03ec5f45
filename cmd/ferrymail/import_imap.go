package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/ferrymail/ferrymail/importer/imapsrc"
	"github.com/ferrymail/ferrymail/server/admin"
	"github.com/ferrymail/ferrymail/store"
)

// runImportIMAP: ferrymail import imap [--data DIR] --to USER --host HOST:PORT --user U --password-file F
// [--tls none|starttls|implicit] [--insecure-skip-verify] [--include PATTERN]... [--exclude PATTERN]...
// [--map SOURCE=TARGET]... [--expunge-missing] [--uidl-scheme S] [--renumber] [--fill-gaps] [--dry-run]
//
// It reads every mailbox of a live IMAP server with EXAMINE and
// BODY.PEEK[] (importer/imapsrc), keeping UIDVALIDITY, UIDs, flags,
// INTERNALDATE, subscriptions and special use; a re-run brings the delta.
func runImportIMAP(ctx context.Context, e *env, cmd *command, args []string) error {
	var f importFlags
	fs := newImportFlagSet(cmd, &f)
	host := fs.String("host", "", "the IMAP server, HOST:PORT")
	user := fs.String("user", "", "the login name at the IMAP server")
	pwFile := fs.String("password-file", "", "a file whose first line is the password at the IMAP server")
	tlsMode := fs.String("tls", "none", "how to reach the server: none, starttls (STARTTLS) or implicit (IMAPS)")
	expunge := fs.Bool("expunge-missing", false, "expunge messages imported before that the IMAP server no longer has (expunged there since)")
	insecure := fs.Bool("insecure-skip-verify", false, "accept the server's certificate without checking it (self-signed legacy servers)")
	var include, exclude, maps listFlag
	fs.Var(&include, "include", `import only mailboxes matching PATTERN ("*" any characters, "%" any within a level; names in UTF-8 with "/"); repeatable`)
	fs.Var(&exclude, "exclude", "leave out mailboxes matching PATTERN (wins over --include); repeatable")
	fs.Var(&maps, "map", `import mailbox SOURCE (as the server spells it, "INBOX.Sent", or in UTF-8 with "/") as TARGET, children following: SOURCE=TARGET; repeatable`)
	if _, err := parseExactly(cmd, fs, args, 0); err != nil {
		return err
	}
	if f.to == "" {
		return usageErrorf("%s: --to USER is required", cmd.name)
	}
	if *host == "" || *user == "" || *pwFile == "" {
		return usageErrorf("%s: --host HOST:PORT, --user U and --password-file F are required", cmd.name)
	}
	if _, _, err := net.SplitHostPort(*host); err != nil {
		return usageErrorf("%s: --host %q: %v", cmd.name, *host, err)
	}
	if _, err := imapsrc.ParseTLSMode(*tlsMode); err != nil {
		return usageErrorf("%s: --tls: %v", cmd.name, err)
	}
	rename := map[string]string{}
	for _, m := range maps {
		from, to, ok := strings.Cut(m, "=")
		if !ok || from == "" || to == "" {
			return usageErrorf("%s: --map %q: want SOURCE=TARGET", cmd.name, m)
		}
		if _, err := store.CanonicalMailboxName(to); err != nil {
			return usageErrorf("%s: --map %q: %v", cmd.name, m, err)
		}
		rename[from] = to
	}
	// checks the uidl scheme; the path is not used.
	req, err := f.request(cmd, admin.FormatIMAP, ".")
	if err != nil {
		return err
	}
	req.Path = ""
	// A running server reads the file, from another working directory.
	abs, err := filepath.Abs(*pwFile)
	if err != nil {
		return fmt.Errorf("%s: %w", *pwFile, err)
	}
	req.Host, req.RemoteUser, req.PasswordFile, req.TLS = *host, *user, abs, *tlsMode
	req.InsecureSkipVerify, req.ExpungeMissing = *insecure, *expunge
	req.Include, req.Exclude = include, exclude
	if len(rename) > 0 {
		req.Rename = rename
	}
	return runImport(ctx, e, &f, req)
}

// listFlag is a flag given any number of times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
