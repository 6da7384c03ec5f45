package main

import (
	"context"

	"github.com/ferrymail/ferrymail/importer/maildir"
)

// runImportMaildir: ferrymail import maildir [--data DIR] --to USER [--uidl-scheme S] [--renumber] [--dry-run] PATH
func runImportMaildir(ctx context.Context, e *env, cmd *command, args []string) error {
	var f importFlags
	pos, err := parseExactly(cmd, newImportFlagSet(cmd, &f), args, 1)
	if err != nil {
		return err
	}
	opts, err := f.options(cmd)
	if err != nil {
		return err
	}
	src, err := maildir.Open(pos[0])
	if err != nil {
		return err
	}
	return runImport(ctx, e, &f, opts, src)
}
