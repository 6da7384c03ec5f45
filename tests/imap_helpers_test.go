package tests

import (
	"context"
	"strings"
	"testing"

	"github.com/ferrymail/ferrymail/store"
)

// The IMAP end-to-end tests: the built binary, driven by IMAP clients
// someone else wrote (Python's imaplib, curl, mbsync).

const (
	imapUser = "alice"
	imapPass = "imap secret"
)

// imapAddr returns the address the server's IMAP listener is bound to, as
// logged at startup (the tests listen on port 0).
func imapAddr(t *testing.T, p *serveProc) string { return serviceAddr(t, p, "imap") }

// imapSeed creates the account and appends bodies to the named mailbox,
// with the store opened by the test: the server must not be running.
func imapSeed(t *testing.T, dir, mailbox string, bodies ...string) []store.Message {
	t.Helper()
	ctx := context.Background()
	st := mustOpenStore(t, dir)
	defer mustClose(t, st)
	acc, err := st.Account(ctx, imapUser)
	if err != nil {
		if acc, err = st.CreateAccount(ctx, imapUser, imapPass); err != nil {
			t.Fatal(err)
		}
	}
	mb, err := st.Mailbox(ctx, acc.ID, mailbox)
	if err != nil {
		if mb, err = st.CreateMailbox(ctx, acc.ID, mailbox, store.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var out []store.Message
	for _, b := range bodies {
		res, err := st.Append(ctx, acc.ID, mb.ID, strings.NewReader(b), store.AppendOptions{})
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		out = append(out, res.Message)
	}
	return out
}
