package main

import (
	"context"
	"log/slog"

	"github.com/ferrymail/ferrymail/server"
)

// runServe: ferrymail serve [--data DIR] [--pop3 ADDR] [--imap ADDR] [--lmtp ADDR] [--rehash-passwords]. It runs until ctx is cancelled
// (SIGINT or SIGTERM) and then stops cleanly.
func runServe(ctx context.Context, e *env, cmd *command, args []string) error {
	var c commonFlags
	fs := newFlagSet(cmd, &c)
	pop3Addr := fs.String("pop3", server.DefaultPOP3Addr, "POP3 listen address")
	imapAddr := fs.String("imap", server.DefaultIMAPAddr, "IMAP listen address")
	lmtpAddr := fs.String("lmtp", "", `LMTP listen address ("unix:/path" or host:port; none when empty)`)
	rehash := fs.Bool("rehash-passwords", false, "replace imported password hashes with argon2id at the next successful login")
	if _, err := parseExactly(cmd, fs, args, 0); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	return server.New(server.Options{DataDir: c.dataDir, Logger: logger, POP3Addr: *pop3Addr, IMAPAddr: *imapAddr, LMTPAddr: *lmtpAddr, RehashPasswords: *rehash}).Run(ctx)
}
