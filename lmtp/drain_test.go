package lmtp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// TestShutdownDrains: at Shutdown an idle connection (after LHLO, between
// transactions) gets 421 and is closed at once, while a transaction in
// progress finishes: its DATA, sent after Shutdown began, is answered 250
// and stored; then Shutdown returns without running into its deadline.
func TestShutdownDrains(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{Logger: quietLogger(), NoSync: true, MemTableSize: 4 << 20, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CreateAccount(ctx, "alice", "secret"); err != nil {
		t.Fatal(err)
	}
	srv := New(Options{SpoolDir: t.TempDir()}, st, quietLogger())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	dial := func() (net.Conn, *bufio.Reader) {
		nc, err := net.DialTimeout("tcp", ln.Addr().String(), ioTimeout)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(ioTimeout))
		t.Cleanup(func() { nc.Close() })
		return nc, bufio.NewReader(nc)
	}
	// expect sends line (unless empty) and reads one reply, multi-line
	// replies (LHLO) to their last line.
	expect := func(nc net.Conn, br *bufio.Reader, line, wantPrefix string) {
		t.Helper()
		if line != "" {
			if _, err := nc.Write([]byte(line + "\r\n")); err != nil {
				t.Fatalf("writing %q: %v", line, err)
			}
		}
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("after %q: reading: %v", line, err)
			}
			if len(l) >= 4 && l[3] == '-' {
				continue
			}
			if !strings.HasPrefix(l, wantPrefix) {
				t.Fatalf("after %q: got %q, want %q", line, l, wantPrefix)
			}
			return
		}
	}
	idle, idleR := dial()
	expect(idle, idleR, "", "220 ")
	expect(idle, idleR, "LHLO mta.example", "250")
	busy, busyR := dial()
	expect(busy, busyR, "", "220 ")
	expect(busy, busyR, "LHLO mta.example", "250")
	expect(busy, busyR, "MAIL FROM:<s@example.net>", "250")
	expect(busy, busyR, "RCPT TO:<alice@example.org>", "250")

	shutCtx, cancel := context.WithTimeout(ctx, ioTimeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(shutCtx) }()

	expect(idle, idleR, "", "421 ")
	if _, err := idleR.ReadString('\n'); err == nil {
		t.Fatal("idle connection still open after 421")
	}
	expect(busy, busyR, "DATA", "354")
	expect(busy, busyR, "Subject: late\r\n\r\nsent during shutdown\r\n.", "250")
	expect(busy, busyR, "", "421 ") // now idle: sent away too

	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	acc, _ := st.Account(ctx, "alice")
	mb, _ := st.Mailbox(ctx, acc.ID, store.InboxName)
	msgs, err := st.Messages(ctx, acc.ID, mb.ID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("INBOX after the drain: %d messages (%v), want 1", len(msgs), err)
	}
	if err := st.CheckConsistency(ctx); err != nil {
		t.Fatal(err)
	}
}
