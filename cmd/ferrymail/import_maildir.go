package main

import (
	"context"

	"github.com/ferrymail/ferrymail/server/admin"
)

// runImportMaildir: ferrymail import maildir [--data DIR] --to USER [--uidl-scheme S] [--renumber] [--dry-run] PATH
func runImportMaildir(ctx context.Context, e *env, cmd *command, args []string) error {
	var f importFlags
	pos, err := parseExactly(cmd, newImportFlagSet(cmd, &f), args, 1)
	if err != nil {
		return err
	}
	req, err := f.request(cmd, admin.FormatMaildir, pos[0])
	if err != nil {
		return err
	}
	return runImport(ctx, e, &f, req)
}
