package pop3src

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/store"
)

// seedInbox stores bodies in INBOX as an IMAP import would: UIDs 1…n in
// order, UIDLs from the template.
func seedInbox(t *testing.T, st *store.Store, acc store.Account, bodies ...string) store.MailboxID {
	t.Helper()
	ctx := context.Background()
	mb, err := st.Mailbox(ctx, acc.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	var msgs []store.ImportMessage
	for i, b := range bodies {
		msgs = append(msgs, store.ImportMessage{UID: store.UID(i + 1), Body: strings.NewReader(b)})
	}
	if _, err := st.Import(ctx, acc.ID, mb.ID, msgs, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return mb.ID
}

func attach(t *testing.T, st *store.Store, acc store.Account, f *fakeServer, opts AttachOptions) *importer.MailboxReport {
	t.Helper()
	src := New(Options{Addr: f.addr(), User: "alice", Password: "pw", Timeout: 5 * time.Second})
	rep, err := src.AttachUIDLs(context.Background(), st, acc.ID, opts)
	if err != nil {
		t.Fatalf("AttachUIDLs: %v", err)
	}
	if len(rep.Mailboxes) != 1 {
		t.Fatalf("report of %d mailboxes", len(rep.Mailboxes))
	}
	return rep.Mailboxes[0]
}

func uidlsByUID(t *testing.T, st *store.Store, acc store.Account, mb store.MailboxID) map[store.UID]string {
	t.Helper()
	msgs, err := st.Messages(context.Background(), acc.ID, mb)
	if err != nil {
		t.Fatal(err)
	}
	out := map[store.UID]string{}
	for _, m := range msgs {
		out[m.UID] = m.UIDL + "/" + string(rune('0'+m.POP3Order))
	}
	return out
}

// TestAttachUIDLs against a server without TOP (it answers -ERR): the
// header hashes come from RETR, TOP is tried once only. Two messages share
// a size and are told apart by header; the POP3 order differs from the
// UID order; a message only the POP3 side has, one with a UIDL that breaks
// RFC 1939 §7 and one whose UIDL is repeated are reported, not attached.
func TestAttachUIDLs(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	a := "From: a@example.org\r\nSubject: aaaa\r\n\r\nsame size\r\n"
	b := "From: b@example.org\r\nSubject: bbbb\r\n\r\nsame size\r\n"
	c := "From: c@example.org\r\nSubject: c\r\n\r\nanother size, longer\r\n"
	mb := seedInbox(t, st, acc, a, b, c)
	f := newFakeServer(t,
		fakeMsg{"pop-c", c},
		fakeMsg{"pop-b", b},
		fakeMsg{"pop-a", "Return-Path: <a@example.org>\r\n" + a[:len(a)-2] + "\r\n"},
		fakeMsg{"only-at-pop", "Subject: new\r\n\r\nnew\r\n"},
		fakeMsg{strings.Repeat("x", 71), "Subject: long\r\n\r\n"},
	)
	m := attach(t, st, acc, f, AttachOptions{})
	if f.count("TOP") != 1 {
		t.Errorf("TOP sent %d times, want once (refused, then RETR)", f.count("TOP"))
	}
	got := uidlsByUID(t, st, acc, mb)
	if got[1] != "pop-a/3" || got[2] != "pop-b/2" || got[3] != "pop-c/1" {
		t.Errorf("UIDL/order by UID: %v", got)
	}
	notes := strings.Join(m.Notes, "\n")
	if !strings.Contains(notes, "POP3 UIDLs attached: 1 by size, 1 by size and header, 1 by header alone (sizes differ)") {
		t.Errorf("notes: %s", notes)
	}
	fails := ""
	for _, fl := range m.Failures {
		fails += fl.Where + ": " + fl.Reason + "\n"
	}
	if len(m.Failures) != 2 || !strings.Contains(fails, "(UIDL only-at-pop): UIDL not attached: no INBOX message") ||
		!strings.Contains(fails, "UIDL not attached: invalid UIDL") {
		t.Errorf("failures:\n%s", fails)
	}
	if !strings.Contains(strings.Join(m.Warnings, "\n"), "by header alone") {
		t.Errorf("no warning for the pair made by header alone: %v", m.Warnings)
	}

	// Again: everything pairs by UIDL, nothing is fetched, nothing changes.
	retrs := f.count("RETR")
	m = attach(t, st, acc, f, AttachOptions{})
	if f.count("RETR") != retrs || !strings.Contains(strings.Join(m.Notes, "\n"), "0 by size, 0 by size and header, 0 by header alone (sizes differ); 3 carried their UIDL already; 0 header hashes fetched") {
		t.Errorf("re-run: %d more RETR, notes %v", f.count("RETR")-retrs, m.Notes)
	}
	if m.Skipped != 3 {
		t.Errorf("re-run: Skipped %d, want 3", m.Skipped)
	}

	// The delta import afterwards skips the attached messages (their
	// source keys are recorded) and brings only what is new.
	f.msgs = f.msgs[:4]
	rep, err := run(t, st, acc, f, nil)
	if err != nil || rep.Mailboxes[0].Imported != 1 || rep.Mailboxes[0].Skipped != 3 {
		t.Fatalf("delta import after attaching: %v %+v", err, rep.Mailboxes[0])
	}
}

func TestAttachUIDLsDryRunAndAmbiguous(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	twin := "From: t@example.org\r\nSubject: twin\r\n\r\nbody\r\n"
	one := "From: o@example.org\r\nSubject: one\r\n\r\nthe only one\r\n"
	mb := seedInbox(t, st, acc, twin, one, twin)
	before := uidlsByUID(t, st, acc, mb)
	f := newFakeServer(t, fakeMsg{"t1", twin}, fakeMsg{"t2", twin}, fakeMsg{"o", one}, fakeMsg{"o", one})
	m := attach(t, st, acc, f, AttachOptions{DryRun: true})
	if after := uidlsByUID(t, st, acc, mb); len(after) != len(before) || after[2] != before[2] {
		t.Errorf("the dry run changed UIDLs: %v → %v", before, after)
	}
	fails := ""
	for _, fl := range m.Failures {
		fails += fl.Where + ": " + fl.Reason + "\n"
	}
	for _, want := range []string{"(UIDL t1): UIDL not attached: ambiguous, INBOX UIDs 1, 3", "(UIDL t2): UIDL not attached: ambiguous, INBOX UIDs 1, 3",
		"message 4 (UIDL o): UIDL not attached: the server lists this UIDL for another message too"} {
		if !strings.Contains(fails, want) {
			t.Errorf("failures lack %q:\n%s", want, fails)
		}
	}
	if !strings.Contains(strings.Join(m.Notes, "\n"), "POP3 UIDLs to attach: 1 by size") {
		t.Errorf("notes: %v", m.Notes)
	}
	m = attach(t, st, acc, f, AttachOptions{})
	if got := uidlsByUID(t, st, acc, mb); got[2] != "o/3" || got[1] != before[1] || got[3] != before[3] {
		t.Errorf("after attaching: %v", got)
	}
}

// TestAttachUIDLsTaken: a POP3 UIDL already carried by a message in
// another mailbox is reported, and the other pairs are attached.
func TestAttachUIDLsTaken(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	ctx := context.Background()
	x := "Subject: x\r\n\r\nx\r\n"
	y := "Subject: yy\r\n\r\nyy\r\n"
	mb := seedInbox(t, st, acc, x, y)
	other, err := st.CreateMailbox(ctx, acc.ID, "Other", store.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(ctx, acc.ID, other.ID, []store.ImportMessage{{UID: 1, UIDL: "taken", Body: strings.NewReader("Subject: z\r\n\r\n")}}, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	f := newFakeServer(t, fakeMsg{"taken", x}, fakeMsg{"free", y})
	m := attach(t, st, acc, f, AttachOptions{})
	got := uidlsByUID(t, st, acc, mb)
	if got[2] != "free/2" || strings.HasPrefix(got[1], "taken") {
		t.Errorf("UIDLs: %v", got)
	}
	if len(m.Failures) != 1 || !strings.Contains(m.Failures[0].Reason, "another message") {
		t.Errorf("failures: %+v", m.Failures)
	}
}
