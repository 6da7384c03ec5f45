package main

import (
	"context"
	"fmt"
	"os"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/server/admin"
)

// runImportPOP3: ferrymail import pop3 [--data DIR] --to USER --host HOST:PORT --user U --password-file F
// [--tls none|starttls|implicit] [--insecure-skip-verify] [--expunge-missing] [--attach-uidls] [--dry-run]
//
// With --attach-uidls nothing is imported: the INBOX messages imported
// before over IMAP from the same legacy server are given the UIDLs its POP3
// view lists for them (matched by size, then header; see importer/uidlmatch).
func runImportPOP3(ctx context.Context, e *env, cmd *command, args []string) error {
	var f importFlags
	fs := newImportFlagSet(cmd, &f)
	var live liveServerFlags
	live.bind(fs, "POP3", "STLS", "POP3S")
	expunge := fs.Bool("expunge-missing", false, "expunge messages imported before that the POP3 server no longer has (deleted there since)")
	attach := fs.Bool("attach-uidls", false, "import nothing: give the INBOX messages imported over IMAP the UIDLs this POP3 server lists for them (matched by size, then header; unmatched ones are reported)")
	if err := live.parse(cmd, fs, &f, args); err != nil {
		return err
	}
	if f.uidlScheme != "" || f.renumber || f.fillGaps {
		return usageErrorf("%s: --uidl-scheme, --renumber and --fill-gaps do not apply: the POP3 server gives the UIDLs, and POP3 has no UIDs", cmd.name)
	}
	if *attach && *expunge {
		return usageErrorf("%s: --attach-uidls imports and expunges nothing: leave out --expunge-missing", cmd.name)
	}
	req := admin.ImportRequest{Format: admin.FormatPOP3, User: f.to, DryRun: f.dryRun, ExpungeMissing: *expunge, AttachUIDLs: *attach}
	live.apply(&req)
	if *attach {
		return runAttachUIDLs(ctx, e, &f, req)
	}
	return runImport(ctx, e, &f, req)
}

// runAttachUIDLs is runImport for --attach-uidls: the same report, and an
// error that says what was not attached rather than imported.
func runAttachUIDLs(ctx context.Context, e *env, f *importFlags, req admin.ImportRequest) error {
	if _, err := os.Stat(f.dataDir); err != nil {
		return fmt.Errorf("data directory %s: %w", f.dataDir, err)
	}
	var rep *importer.Report
	err := withAdmin(ctx, e, f.dataDir, admin.OpenOptions{}, func(api admin.API) error {
		var err error
		rep, err = api.Import(ctx, req, nil)
		return err
	})
	if rep != nil {
		rep.Write(e.stdout)
	}
	if err != nil {
		return err
	}
	for _, m := range rep.Mailboxes {
		if m.Err != nil {
			return fmt.Errorf("attaching UIDLs stopped: %w", m.Err)
		}
		if len(m.Failures) > 0 {
			done := "the others were attached"
			if rep.DryRun {
				done = "dry run: nothing was changed"
			}
			return fmt.Errorf("%d POP3 messages got no INBOX message's UIDL (the report above names each by UIDL and why); %s", len(m.Failures), done)
		}
	}
	return nil
}
