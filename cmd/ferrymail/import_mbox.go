package main

import (
	"context"

	"github.com/ferrymail/ferrymail/importer/mbox"
	"github.com/ferrymail/ferrymail/server/admin"
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
	req, err := f.request(cmd, admin.FormatMbox, pos[0])
	if err != nil {
		return err
	}
	if _, err := mbox.ParseQuoting(*quoting); err != nil {
		return usageErrorf("%s: --from-quoting: %v", cmd.name, err)
	}
	req.FromQuoting, req.Mailbox = *quoting, *mailbox
	return runImport(ctx, e, &f, req)
}
