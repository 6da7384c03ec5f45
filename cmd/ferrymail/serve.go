package main

import (
	"context"
	"log/slog"

	"github.com/ferrymail/ferrymail/server"
)

// runServe: ferrymail serve [--data DIR]. It runs until ctx is cancelled
// (SIGINT or SIGTERM) and then stops cleanly.
func runServe(ctx context.Context, e *env, cmd *command, args []string) error {
	var c commonFlags
	if _, err := parseExactly(cmd, newFlagSet(cmd, &c), args, 0); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	return server.New(server.Options{DataDir: c.dataDir, Logger: logger}).Run(ctx)
}
