package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// uidlsOf returns UID → UIDL and UID → POP3 order of a mailbox.
func uidlsOf(t *testing.T, s *Store, a AccountID, m MailboxID) (map[UID]string, map[UID]uint32) {
	t.Helper()
	msgs, err := s.Messages(context.Background(), a, m)
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	uidls, orders := map[UID]string{}, map[UID]uint32{}
	for _, msg := range msgs {
		uidls[msg.UID], orders[msg.UID] = msg.UIDL, msg.POP3Order
	}
	return uidls, orders
}

func TestSetUIDLs(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acc := newTestAccount(t, s, "ann")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	var uids []UID
	for i := range 3 {
		uids = append(uids, mustAppend(t, s, acc.ID, inbox.ID, fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i)).Message.UID)
	}
	set := []UIDLAssignment{
		{UID: uids[0], UIDL: "legacy-a", POP3Order: 1, SourceKey: "pop3:legacy-a"},
		{UID: uids[2], UIDL: "legacy-c", POP3Order: 2},
	}
	n, err := s.SetUIDLs(ctx, acc.ID, inbox.ID, set)
	if err != nil || n != 2 {
		t.Fatalf("SetUIDLs = %d, %v; want 2, nil", n, err)
	}
	uidls, orders := uidlsOf(t, s, acc.ID, inbox.ID)
	if uidls[uids[0]] != "legacy-a" || uidls[uids[2]] != "legacy-c" || orders[uids[0]] != 1 || orders[uids[2]] != 2 {
		t.Errorf("after SetUIDLs: UIDLs %v, orders %v", uidls, orders)
	}
	if uidls[uids[1]] == "" || uidls[uids[1]] == "legacy-a" {
		t.Errorf("UID %d's UIDL changed to %q", uids[1], uidls[uids[1]])
	}
	for uidl, want := range map[string]UID{"legacy-a": uids[0], "legacy-c": uids[2]} {
		if _, uid, err := s.FindUIDL(ctx, acc.ID, uidl); err != nil || uid != want {
			t.Errorf("FindUIDL(%q) = %d, %v; want %d", uidl, uid, err, want)
		}
	}
	if keys, err := s.ImportedSourceKeys(ctx, acc.ID, inbox.ID, []string{"pop3:legacy-a"}); err != nil || keys["pop3:legacy-a"] != uids[0] {
		t.Errorf("ImportedSourceKeys = %v, %v; want pop3:legacy-a → %d", keys, err, uids[0])
	}

	// Idempotent: the same set again changes nothing.
	if n, err := s.SetUIDLs(ctx, acc.ID, inbox.ID, set); err != nil || n != 0 {
		t.Errorf("second SetUIDLs = %d, %v; want 0, nil", n, err)
	}
}

func TestSetUIDLsFreesOldUIDL(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acc := newTestAccount(t, s, "ann")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	a := mustAppend(t, s, acc.ID, inbox.ID, "Subject: a\r\n\r\n").Message
	if _, err := s.SetUIDLs(ctx, acc.ID, inbox.ID, []UIDLAssignment{{UID: a.UID, UIDL: "new"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FindUIDL(ctx, acc.ID, a.UIDL); !errors.Is(err, ErrMessageNotFound) {
		t.Errorf("FindUIDL(old %q) = %v; want ErrMessageNotFound", a.UIDL, err)
	}
}

// Two messages trading UIDLs in one call is allowed; the index follows.
func TestSetUIDLsTrade(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acc := newTestAccount(t, s, "ann")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	a := mustAppend(t, s, acc.ID, inbox.ID, "Subject: a\r\n\r\n").Message
	b := mustAppend(t, s, acc.ID, inbox.ID, "Subject: b\r\n\r\n").Message
	n, err := s.SetUIDLs(ctx, acc.ID, inbox.ID, []UIDLAssignment{{UID: a.UID, UIDL: b.UIDL}, {UID: b.UID, UIDL: a.UIDL}})
	if err != nil || n != 2 {
		t.Fatalf("SetUIDLs trade = %d, %v", n, err)
	}
	uidls, _ := uidlsOf(t, s, acc.ID, inbox.ID)
	if uidls[a.UID] != b.UIDL || uidls[b.UID] != a.UIDL {
		t.Errorf("after the trade: %v", uidls)
	}
}

// Every invariant is checked before anything is written: a refused set
// leaves all messages as they were.
func TestSetUIDLsRefused(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acc := newTestAccount(t, s, "ann")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	sent, err := s.CreateMailbox(ctx, acc.ID, "Elsewhere", CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := mustAppend(t, s, acc.ID, inbox.ID, "Subject: a\r\n\r\n").Message
	b := mustAppend(t, s, acc.ID, inbox.ID, "Subject: b\r\n\r\n").Message
	other := mustAppend(t, s, acc.ID, sent.ID, "Subject: s\r\n\r\n").Message
	long := make([]byte, 71)
	for i := range long {
		long[i] = 'x'
	}
	for _, tc := range []struct {
		name string
		set  []UIDLAssignment
		want error
	}{
		{"empty UIDL", []UIDLAssignment{{UID: a.UID, UIDL: "ok"}, {UID: b.UID, UIDL: ""}}, ErrInvalidUIDL},
		{"space", []UIDLAssignment{{UID: a.UID, UIDL: "a b"}}, ErrInvalidUIDL},
		{"71 characters", []UIDLAssignment{{UID: a.UID, UIDL: string(long)}}, ErrInvalidUIDL},
		{"8-bit", []UIDLAssignment{{UID: a.UID, UIDL: "caf\xc3\xa9"}}, ErrInvalidUIDL},
		{"UIDL twice", []UIDLAssignment{{UID: a.UID, UIDL: "same"}, {UID: b.UID, UIDL: "same"}}, ErrUIDLExists},
		{"UID twice", []UIDLAssignment{{UID: a.UID, UIDL: "x1"}, {UID: a.UID, UIDL: "x2"}}, ErrUIDReuse},
		{"held in another mailbox", []UIDLAssignment{{UID: a.UID, UIDL: "ok"}, {UID: b.UID, UIDL: other.UIDL}}, ErrUIDLExists},
		{"held by a message not in the set", []UIDLAssignment{{UID: a.UID, UIDL: b.UIDL}}, ErrUIDLExists},
		{"no such UID", []UIDLAssignment{{UID: a.UID, UIDL: "ok"}, {UID: 999, UIDL: "ok2"}}, ErrMessageNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, beforeOrders := uidlsOf(t, s, acc.ID, inbox.ID)
			n, err := s.SetUIDLs(ctx, acc.ID, inbox.ID, tc.set)
			if !errors.Is(err, tc.want) || n != 0 {
				t.Fatalf("SetUIDLs = %d, %v; want 0, %v", n, err, tc.want)
			}
			after, afterOrders := uidlsOf(t, s, acc.ID, inbox.ID)
			if fmt.Sprint(before, beforeOrders) != fmt.Sprint(after, afterOrders) {
				t.Errorf("a refused set changed the mailbox: %v → %v", before, after)
			}
		})
	}
	if _, err := s.SetUIDLs(ctx, acc.ID, 12345, []UIDLAssignment{{UID: 1, UIDL: "x"}}); !errors.Is(err, ErrMailboxNotFound) {
		t.Errorf("SetUIDLs on no mailbox = %v; want ErrMailboxNotFound", err)
	}
}

// More assignments than one transaction holds are written in batches.
func TestSetUIDLsBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("appends thousands of messages")
	}
	ctx := context.Background()
	s := newTestStore(t)
	acc := newTestAccount(t, s, "ann")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	const count = setUIDLBatch + 50
	msgs := make([]ImportMessage, count)
	for i := range msgs {
		msgs[i] = ImportMessage{UID: UID(i + 1), Body: strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\n", i))}
	}
	if _, err := s.Import(ctx, acc.ID, inbox.ID, msgs, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	set := make([]UIDLAssignment, count)
	for i := range set {
		set[i] = UIDLAssignment{UID: UID(i + 1), UIDL: fmt.Sprintf("L%05d", i), POP3Order: uint32(i + 1)}
	}
	if n, err := s.SetUIDLs(ctx, acc.ID, inbox.ID, set); err != nil || n != count {
		t.Fatalf("SetUIDLs = %d, %v; want %d", n, err, count)
	}
	uidls, orders := uidlsOf(t, s, acc.ID, inbox.ID)
	for i := range count {
		if uidls[UID(i+1)] != fmt.Sprintf("L%05d", i) || orders[UID(i+1)] != uint32(i+1) {
			t.Fatalf("UID %d: UIDL %q order %d", i+1, uidls[UID(i+1)], orders[UID(i+1)])
		}
	}
}
