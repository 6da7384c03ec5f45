package imap

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNewUIDValidityEndsSession: a mailbox renumbered under a session
// (store.RenewUIDValidity, an import with --renumber through the running
// server) ends the sessions that have it selected with BYE, in IDLE and at
// the next command; a session with another mailbox selected goes on.
func TestNewUIDValidityEndsSession(t *testing.T) {
	e := newTestEnv(t)
	e.deliver("INBOX", "Subject: a\r\n\r\na\r\n")
	pe := e.preauth()
	inbox := e.mailbox("INBOX")

	idle := pe.raw()
	idle.mustOK("SELECT INBOX")
	idle.send("i IDLE\r\n")
	if l := idle.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("IDLE: %q", l)
	}
	busy := pe.raw()
	busy.mustOK("SELECT INBOX")
	other := pe.raw()
	other.mustOK("SELECT Sent")

	renewed, err := e.store.RenewUIDValidity(context.Background(), e.acct.ID, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.UIDValidity <= inbox.UIDValidity {
		t.Fatalf("UIDVALIDITY %d after %d", renewed.UIDValidity, inbox.UIDValidity)
	}
	expectBye := func(r *raw, who string) {
		t.Helper()
		for range 10 {
			l := r.line()
			if strings.HasPrefix(l, "* BYE") {
				// Then the server closes the connection.
				r.c.SetReadDeadline(time.Now().Add(testTimeout))
				if rest, err := io.ReadAll(r.br); err != nil {
					t.Errorf("%s: not closed after BYE: %q, %v", who, rest, err)
				}
				return
			}
		}
		t.Errorf("%s: no BYE", who)
	}
	expectBye(idle, "the IDLE session")
	busy.send("n NOOP\r\n")
	expectBye(busy, "the session at its next command")
	other.mustOK("NOOP")

	// A new session sees the new value.
	fresh := pe.raw()
	untagged := fresh.mustOK("SELECT INBOX")
	if want := "[UIDVALIDITY " + strconv.FormatUint(uint64(renewed.UIDValidity), 10) + "]"; !strings.Contains(strings.Join(untagged, ""), want) {
		t.Errorf("SELECT after the renumbering: %q, want %s", untagged, want)
	}
}
