package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/ferrymail/ferrymail/server/admin"
)

// withAdmin opens the data directory's admin API (the running server's
// socket, or the store itself), runs fn on it and closes it. Closing the
// store is checked too: it is where badger writes out what it holds.
func withAdmin(ctx context.Context, e *env, dataDir string, opts admin.OpenOptions, fn func(admin.API) error) (err error) {
	opts.Logger = cliLogger(e)
	api, closer, err := admin.Open(ctx, dataDir, opts)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := closer.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing data directory %s: %w", dataDir, cerr)
		}
	}()
	return fn(api)
}

// cliLogger logs the store's warnings and errors to stderr. Its routine
// lines stay quiet: a command's output is its result and at most one line
// of error.
func cliLogger(e *env) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
