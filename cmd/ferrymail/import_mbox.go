package main

import (
	"context"

	"github.com/ferrymail/ferrymail/importer/mbox"
	"github.com/ferrymail/ferrymail/importer/uidl"
)

// runImportMbox: ferrymail import mbox [--data DIR] --to USER [--uidl-scheme S] [--from-quoting Q] [--mailbox NAME] [--renumber] [--dry-run] PATH
func runImportMbox(ctx context.Context, e *env, cmd *command, args []string) error {
	var f importFlags
	fs := newImportFlagSet(cmd, &f)
	quoting := fs.String("from-quoting", "none", `how ">From " body lines are read: none (as Dovecot and UW-IMAP served them), mboxo or mboxrd`)
	mailbox := fs.String("mailbox", "", "the target mailbox of a single mbox file (default INBOX)")
	pos, err := parseExactly(cmd, fs, args, 1)
	if err != nil {
		return err
	}
	opts, err := f.options(cmd)
	if err != nil {
		return err
	}
	q, err := mbox.ParseQuoting(*quoting)
	if err != nil {
		return usageErrorf("%s: --from-quoting: %v", cmd.name, err)
	}
	src, err := mbox.Open(pos[0], mbox.Options{Quoting: q, UseXUIDL: opts.UIDLScheme.String() == uidl.XUIDL, Mailbox: *mailbox})
	if err != nil {
		return err
	}
	return runImport(ctx, e, &f, opts, src)
}
