package imap

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ferrymail/ferrymail/store"
)

// Session B's changes reach session A as EXISTS, FETCH FLAGS and EXPUNGE,
// never an EXPUNGE during FETCH, STORE or SEARCH (RFC 9051 §7.5.1).
func TestSessionsSeeEachOther(t *testing.T) {
	e := newTestEnv(t)
	for range 3 {
		e.deliver("INBOX", simpleMsg)
	}
	a, b := e.raw(), e.raw()
	a.login()
	b.login()
	a.mustOK("SELECT INBOX")
	b.mustOK("SELECT INBOX")
	b.mustOK(`STORE 2 +FLAGS.SILENT (\Flagged)`)
	b.mustOK(`STORE 3 +FLAGS.SILENT (\Deleted)`)
	b.mustOK("EXPUNGE")
	b.mustOK("APPEND INBOX {%d+}\r\n%s", len(simpleMsg), simpleMsg)

	for _, cmd := range []string{"FETCH 1:* (FLAGS)", `STORE 1 +FLAGS (\Answered)`, "SEARCH ALL"} {
		u := a.mustOK("%s", cmd)
		for _, l := range u {
			if strings.Contains(l, "EXPUNGE") {
				t.Errorf("%s sent %q", cmd, l)
			}
		}
		if cmd == "FETCH 1:* (FLAGS)" {
			joined := strings.Join(u, "")
			if !strings.Contains(joined, "* 4 EXISTS") || !strings.Contains(joined, `* 2 FETCH (UID 2 FLAGS (\Flagged))`) {
				t.Errorf("FETCH untagged: %q", u)
			}
			if strings.Contains(joined, "* 3 FETCH") {
				t.Errorf("expunged message fetched: %q", u)
			}
		}
	}
	u := a.mustOK("NOOP")
	if strings.Join(u, "") != "* 3 EXPUNGE\r\n" {
		t.Errorf("NOOP: %q", u)
	}
	// After the EXPUNGE, message 3 is the appended one (UID 4).
	u = a.mustOK("FETCH 3 (UID)")
	if len(u) != 1 || u[0] != "* 3 FETCH (UID 4)\r\n" {
		t.Errorf("FETCH 3: %q", u)
	}
	// A's own STORE is not echoed back as an unsolicited FETCH.
	u = a.mustOK("NOOP")
	if len(u) != 0 {
		t.Errorf("NOOP after own STORE: %q", u)
	}
}

// IDLE reports changes at once: from another IMAP session and from a
// store.Append outside the IMAP layer (delivery, POP3, importer).
func TestIdleNotifications(t *testing.T) {
	e := newTestEnv(t)
	e.deliver("INBOX", simpleMsg)
	events := make(chan string, 100)
	a := e.client(&imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Expunge: func(seq uint32) { events <- fmt.Sprintf("EXPUNGE %d", seq) },
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				events <- fmt.Sprintf("EXISTS %d", *d.NumMessages)
			}
		},
		Fetch: func(m *imapclient.FetchMessageData) {
			buf, _ := m.Collect()
			events <- fmt.Sprintf("FETCH %d %v", m.SeqNum, buf.Flags)
		},
	}})
	if _, err := a.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := a.Idle()
	if err != nil {
		t.Fatal(err)
	}
	expect := func(want string) {
		t.Helper()
		select {
		case got := <-events:
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		case <-time.After(testTimeout):
			t.Fatalf("no %q within %v", want, testTimeout)
		}
	}

	e.deliver("INBOX", simpleMsg) // from outside IMAP
	expect("EXISTS 2")

	b := e.client(nil)
	body := "Subject: from b\r\n\r\nx\r\n"
	cmd := b.Append("INBOX", int64(len(body)), nil)
	cmd.Write([]byte(body))
	cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	expect("EXISTS 3")
	if _, err := b.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := b.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	expect(`FETCH 1 [\Deleted]`)
	if err := b.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	expect("EXPUNGE 1")

	// From outside IMAP, as POP3 (DELE then QUIT) and the importer write.
	ctx := context.Background()
	inbox := e.mailbox("INBOX")
	if _, err := e.store.StoreFlags(ctx, e.acct.ID, inbox.ID, []store.UID{2}, store.FlagsAdd, []string{"$Imported"}, store.StoreFlagsOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("FETCH 1 [$Imported]")
	if _, err := e.store.Expunge(ctx, e.acct.ID, inbox.ID, []store.UID{3}); err != nil {
		t.Fatal(err)
	}
	expect("EXPUNGE 2")

	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
}

// Shutdown says BYE to every session, IDLE ones included, and returns once
// they are gone.
func TestShutdownSaysBye(t *testing.T) {
	e := newTestEnv(t)
	pe := e.preauth()
	idle := e.raw()
	idle.login()
	idle.mustOK("SELECT INBOX")
	idle.send("i IDLE\r\n")
	if l := idle.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("IDLE: %q", l)
	}
	plain := pe.raw()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if l := idle.line(); !strings.HasPrefix(l, "* BYE") {
		t.Errorf("IDLE session got %q", l)
	}
	_ = plain
	if _, err := net.DialTimeout("tcp", e.addr, time.Second); err == nil {
		t.Errorf("still accepting after Shutdown")
	}
}
