package store

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestImportedSourceKeys: keys of imported messages are found with their
// UIDs, also after an expunge; others are not.
func TestImportedSourceKeys(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acc := newTestAccount(t, s, "alice")
	mb, err := s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "Old", UIDValidity: 77, UIDNext: 10})
	if err != nil {
		t.Fatalf("ImportMailbox: %v", err)
	}
	msgs := []ImportMessage{
		{UID: 3, SourceKey: "k3", Body: strings.NewReader("Subject: 3\r\n\r\n")},
		{UID: 5, SourceKey: "k5", Body: strings.NewReader("Subject: 5\r\n\r\n")},
	}
	if _, err := s.Import(ctx, acc.ID, mb.ID, msgs, ImportOptions{}); err != nil {
		t.Fatalf("Import: %v", err)
	}
	if _, err := s.Expunge(ctx, acc.ID, mb.ID, []UID{5}); err != nil {
		t.Fatalf("Expunge: %v", err)
	}
	got, err := s.ImportedSourceKeys(ctx, acc.ID, mb.ID, []string{"k3", "k5", "k9", ""})
	if err != nil {
		t.Fatalf("ImportedSourceKeys: %v", err)
	}
	if len(got) != 2 || got["k3"] != 3 || got["k5"] != 5 {
		t.Errorf("got %v, want map[k3:3 k5:5]", got)
	}
	if _, err := s.ImportedSourceKeys(ctx, acc.ID, 999999, []string{"k3"}); err == nil {
		t.Errorf("unknown mailbox: got no error")
	}
}

// TestImportSetsSize: messages stored through Import carry
// the size of their stored (CRLF) bytes, as appended ones do.
func TestImportSetsSize(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acc := newTestAccount(t, s, "alice")
	mb, err := s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "Old", UIDValidity: 77, UIDNext: 10})
	if err != nil {
		t.Fatalf("ImportMailbox: %v", err)
	}
	big := strings.Repeat("line of text\n", 200000) // streamed: above the inline limit
	msgs := []ImportMessage{
		{UID: 3, SourceKey: "k3", Body: strings.NewReader("Subject: 3\n\nbody\n")},
		{UID: 4, SourceKey: "k4", Body: strings.NewReader("Subject: 4\r\n\r\n" + big)},
	}
	if _, err := s.Import(ctx, acc.ID, mb.ID, msgs, ImportOptions{}); err != nil {
		t.Fatalf("Import: %v", err)
	}
	want := map[UID]int64{3: int64(len("Subject: 3\r\n\r\nbody\r\n")), 4: int64(len("Subject: 4\r\n\r\n") + 200000*14)}
	got, err := s.Messages(ctx, acc.ID, mb.ID)
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	for _, m := range got {
		if m.Size != want[m.UID] {
			t.Errorf("UID %d: got size %d, want %d", m.UID, m.Size, want[m.UID])
		}
		r, err := s.OpenMessage(ctx, acc.ID, mb.ID, m.UID)
		if err != nil {
			t.Fatalf("OpenMessage: %v", err)
		}
		n, _ := io.Copy(io.Discard, r)
		r.Close()
		if n != m.Size {
			t.Errorf("UID %d: %d bytes stored, size says %d", m.UID, n, m.Size)
		}
	}
	if mb2, _ := s.MailboxByID(ctx, acc.ID, mb.ID); mb2.Size != want[3]+want[4] {
		t.Errorf("mailbox size %d, want %d", mb2.Size, want[3]+want[4])
	}
}

// TestRenewUIDValidity: a larger UIDVALIDITY, the same UIDs, UIDLs and
// UIDNEXT, a UIDValidityChanged event; no import below UIDNEXT afterwards.
func TestRenewUIDValidity(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acc := newTestAccount(t, s, "alice")
	mb, err := s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "Old", UIDValidity: 77, UIDNext: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, acc.ID, mb.ID, []ImportMessage{{UID: 3, UIDL: "keep-me", Body: strings.NewReader("Subject: 3\r\n\r\n")}}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	other, _ := s.CreateMailbox(ctx, acc.ID, "Other", CreateOptions{})
	sub := s.Subscribe(acc.ID)
	defer sub.Close()
	got, err := s.RenewUIDValidity(ctx, acc.ID, mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Sessions with the mailbox selected are told (and end).
	if changes := sub.Take(); len(changes) != 1 || changes[0] != (UIDValidityChanged{Account: acc.ID, Mailbox: mb.ID, UIDValidity: got.UIDValidity}) {
		t.Errorf("changes published: %+v, want one UIDValidityChanged", changes)
	}
	if got.UIDValidity <= other.UIDValidity || got.UIDValidity <= 77 || got.UIDNext != 10 {
		t.Errorf("got UIDVALIDITY %d UIDNEXT %d; want above %d and 77, and UIDNEXT 10", got.UIDValidity, got.UIDNext, other.UIDValidity)
	}
	msgs, _ := s.Messages(ctx, acc.ID, mb.ID)
	if len(msgs) != 1 || msgs[0].UID != 3 || msgs[0].UIDL != "keep-me" {
		t.Errorf("messages after renewal: %+v", msgs)
	}
	_, err = s.Import(ctx, acc.ID, mb.ID, []ImportMessage{{UID: 5, Body: strings.NewReader("Subject: 5\r\n\r\n")}}, ImportOptions{})
	if !errors.Is(err, ErrUIDReuse) {
		t.Errorf("import below UIDNEXT after renewal: got %v, want ErrUIDReuse", err)
	}
	if _, err := s.Import(ctx, acc.ID, mb.ID, []ImportMessage{{UID: 10, Body: strings.NewReader("Subject: 10\r\n\r\n")}}, ImportOptions{}); err != nil {
		t.Errorf("import at UIDNEXT after renewal: %v", err)
	}
}
