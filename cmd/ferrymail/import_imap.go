package main

import (
	"context"
	"strings"

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
	var live liveServerFlags
	live.bind(fs, "IMAP", "STARTTLS", "IMAPS")
	expunge := fs.Bool("expunge-missing", false, "expunge messages imported before that the IMAP server no longer has (expunged there since)")
	var include, exclude, maps listFlag
	fs.Var(&include, "include", `import only mailboxes matching PATTERN ("*" any characters, "%" any within a level; names in UTF-8 with "/"); repeatable`)
	fs.Var(&exclude, "exclude", "leave out mailboxes matching PATTERN (wins over --include); repeatable")
	fs.Var(&maps, "map", `import mailbox SOURCE (as the server spells it, "INBOX.Sent", or in UTF-8 with "/") as TARGET, children following: SOURCE=TARGET; repeatable`)
	if err := live.parse(cmd, fs, &f, args); err != nil {
		return err
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
	live.apply(&req)
	req.ExpungeMissing = *expunge
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
