package store

import (
	"context"
	"errors"
	"io"
	"testing"
)

// TestOpenMessageStructure: the combined call returns the same bytes and
// structure as OpenMessage and Structure, and the same errors.
func TestOpenMessageStructure(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	body := "Subject: hello\r\nFrom: a@example.org\r\n\r\nthe text\r\n"
	uid := mustAppend(t, s, acc.ID, inbox.ID, body).Message.UID
	r, st, err := s.OpenMessageStructure(ctx, acc.ID, inbox.ID, uid)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(got) != body {
		t.Fatalf("read %q, %v; want %q", got, err, body)
	}
	want, err := s.Structure(ctx, acc.ID, inbox.ID, uid)
	if err != nil {
		t.Fatal(err)
	}
	if st.Envelope.Subject != want.Envelope.Subject || st.Body.BodyStart != want.Body.BodyStart || st.Body.End != want.Body.End {
		t.Fatalf("structure %+v, Structure() gives %+v", st.Body, want.Body)
	}
	if _, _, err := s.OpenMessageStructure(ctx, acc.ID, inbox.ID, uid+1); !errors.Is(err, ErrMessageNotFound) {
		t.Fatalf("absent UID: %v, want ErrMessageNotFound", err)
	}
	bob := newTestAccount(t, s, "bob")
	if _, _, err := s.OpenMessageStructure(ctx, bob.ID, inbox.ID, uid); !errors.Is(err, ErrMailboxNotFound) {
		t.Fatalf("another account's mailbox: %v, want ErrMailboxNotFound", err)
	}
}
