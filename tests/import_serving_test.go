package tests

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// TestImportIntoRunningServer (issue 5): "ferrymail import" while
// "ferrymail serve" runs goes through the admin socket; the import runs in
// the server, and an IMAP session idling in INBOX sees the new messages
// arrive. The source's UIDs and UIDLs are kept as without a server.
func TestImportIntoRunningServer(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "Maildir")
	msg := func(i int) string { return fmt.Sprintf("Subject: message %d\n\nbody %d\n", i, i) }
	writeFiles(t, src, map[string]string{
		"dovecot-uidlist": "3 V5000 N5\n2 :2.M2.h\n4 :4.M4.h\n",
		"cur/2.M2.h:2,S":  msg(2),
		"cur/4.M4.h:2,":   msg(4),
	})
	data := newUser(t)
	p := startServe(t, data)
	importArgs := []string{"import", "maildir", "--data", data, "--to", "alice", "--uidl-scheme", "dovecot", src}
	out := mustSucceed(t, "", importArgs...)
	if !strings.Contains(out, "UIDVALIDITY 5000 kept") || !strings.Contains(out, "2 messages imported") {
		t.Fatalf("first import through the server:\n%s", out)
	}

	// An IMAP session idles in INBOX...
	exists := make(chan uint32, 16)
	c, err := imapclient.DialInsecure(imapAddr(t, p), &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					exists <- *d.NumMessages
				}
			},
		},
	})
	if err != nil {
		t.Fatalf("dialling IMAP: %v", err)
	}
	defer c.Close()
	if err := c.Login("alice", "pw").Wait(); err != nil {
		t.Fatalf("LOGIN: %v", err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatalf("SELECT: %v", err)
	}
	if sel.UIDValidity != 5000 || sel.NumMessages != 2 {
		t.Fatalf("SELECT INBOX: UIDVALIDITY %d, %d messages; want 5000, 2", sel.UIDValidity, sel.NumMessages)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("IDLE: %v", err)
	}

	// ... while the old server's new mail is imported.
	writeFiles(t, src, map[string]string{
		"dovecot-uidlist": "3 V5000 N9\n2 :2.M2.h\n4 :4.M4.h\n7 :7.M7.h\n8 :8.M8.h\n",
		"new/7.M7.h":      msg(7),
		"new/8.M8.h":      msg(8),
	})
	out = mustSucceed(t, "", importArgs...)
	if !strings.Contains(out, "2 messages imported") || !strings.Contains(out, "2 already there") {
		t.Errorf("second import through the server:\n%s", out)
	}
	deadline := time.After(10 * time.Second)
	for n := uint32(0); n != 4; {
		select {
		case n = <-exists:
		case <-deadline:
			t.Fatalf("the idling session saw %d messages, want 4 EXISTS", n)
		}
	}
	if err := idle.Close(); err != nil {
		t.Fatalf("DONE: %v", err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatalf("IDLE: %v", err)
	}
	fetched, err := c.Fetch(imap.SeqSetNum(3, 4), &imap.FetchOptions{UID: true}).Collect()
	if err != nil {
		t.Fatalf("FETCH: %v", err)
	}
	var uids []imap.UID
	for _, m := range fetched {
		uids = append(uids, m.UID)
	}
	if want := []imap.UID{7, 8}; !reflect.DeepEqual(uids, want) {
		t.Errorf("UIDs of the new messages %v, want %v", uids, want)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Errorf("LOGOUT: %v", err)
	}

	// The socket path of "message list" shows the source's UIDs and the
	// UIDLs Dovecot served.
	var want []string
	for _, uid := range []int{2, 4, 7, 8} {
		flags := "()"
		if uid == 2 {
			flags = `(\Seen)`
		}
		want = append(want, fmt.Sprintf("%d %08X%08X %d %s", uid, uid, 5000, len(msg(uid))+3, flags))
	}
	if got := listedMessages(t, mustSucceed(t, "", "message", "list", "--data", data, "alice", "INBOX")); !reflect.DeepEqual(got, want) {
		t.Errorf("message list:\ngot  %q\nwant %q", got, want)
	}
	p.sigterm(t)
}
