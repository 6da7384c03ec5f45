package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func importMsg(uid UID, uidl string) ImportMessage {
	return ImportMessage{
		UID: uid, UIDL: uidl, Flags: []string{`\Seen`},
		InternalDate: time.Date(2010, 6, 16, 10, 5, 0, 0, time.UTC),
		SourceKey:    fmt.Sprintf("src/%d", uid),
		Body:         strings.NewReader(fmt.Sprintf("Subject: imported %d\r\n\r\nbody\r\n", uid)),
	}
}

func TestImportKeepsIdentifiers(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	// INBOX of a new account never gave out a UID: it adopts the source's UIDVALIDITY.
	mb, err := s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "INBOX", UIDValidity: 1275660208, UIDNext: 25023, HighestModSeq: 900})
	if err != nil {
		t.Fatal(err)
	}
	if mb.UIDValidity != 1275660208 || mb.UIDNext != 25023 || mb.HighestModSeq != 900 {
		t.Fatalf("imported INBOX %+v", mb)
	}
	msgs := []ImportMessage{importMsg(25006, "UID1283-1276529134"), importMsg(25017, ""), importMsg(25018, "000061ae4c0907b0")}
	msgs[1].POP3Order = 7
	msgs[2].ModSeq = 5000
	res, err := s.Import(ctx, acc.ID, mb.ID, msgs, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Message.UID != 25006 || res[0].Message.UIDL != "UID1283-1276529134" {
		t.Errorf("first: %+v", res[0])
	}
	if want := fmt.Sprintf("%08x%08x", 25017, 1275660208); res[1].Message.UIDL != want || res[1].Message.POP3Order != 7 {
		t.Errorf("second: UIDL %q (want %q) order %d", res[1].Message.UIDL, want, res[1].Message.POP3Order)
	}
	if res[2].Message.ModSeq != 5000 {
		t.Errorf("source MODSEQ 5000 not kept: %d", res[2].Message.ModSeq)
	}
	got := mustMailbox(t, s, acc.ID, "INBOX")
	if got.UIDNext != 25023 || got.HighestModSeq != 5000 || got.Messages != 3 || got.Unseen != 0 {
		t.Errorf("mailbox after import: %+v", got)
	}
	// The bytes read back exactly, with the size clients were told.
	for _, r := range res {
		want := fmt.Sprintf("Subject: imported %d\r\n\r\nbody\r\n", r.Message.UID)
		if got := string(readAll(t, s, acc.ID, mb.ID, r.Message.UID)); got != want || r.Message.Size != int64(len(want)) {
			t.Errorf("UID %d reads %q (size %d), want %q", r.Message.UID, got, r.Message.Size, want)
		}
	}
	m, _ := s.Message(ctx, acc.ID, mb.ID, 25017)
	if !m.InternalDate.Equal(time.Date(2010, 6, 16, 10, 5, 0, 0, time.UTC)) {
		t.Errorf("INTERNALDATE %v", m.InternalDate)
	}
	// A native append after the import continues above the source's UIDNEXT.
	if a := mustAppend(t, s, acc.ID, mb.ID, "Subject: new\r\n\r\n"); a.Message.UID != 25023 {
		t.Errorf("append after import got UID %d, want 25023", a.Message.UID)
	}
	if mb2, uid, err := s.FindUIDL(ctx, acc.ID, "UID1283-1276529134"); err != nil || mb2 != mb.ID || uid != 25006 {
		t.Errorf("FindUIDL = %d, %d, %v", mb2, uid, err)
	}
}

func TestImportRerunSkipsAndBringsNew(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	mb, err := s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "Work/2024", UIDValidity: 42, UIDNext: 3, Subscribed: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, acc.ID, mb.ID, []ImportMessage{importMsg(1, ""), importMsg(2, "")}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	// The user deletes message 2 on the new server; then the cut-over delta runs.
	if _, err := s.Expunge(ctx, acc.ID, mb.ID, []UID{2}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "Work/2024", UIDValidity: 42, UIDNext: 5}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Import(ctx, acc.ID, mb.ID, []ImportMessage{importMsg(1, ""), importMsg(2, ""), importMsg(4, "")}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Skipped || res[0].Message.UID != 1 || !res[1].Skipped || res[2].Skipped || res[2].Message.UID != 4 {
		t.Errorf("re-run results %+v", res)
	}
	msgs, _ := s.Messages(ctx, acc.ID, mb.ID)
	if !equalUIDs(uidsOf(msgs), []UID{1, 4}) {
		t.Errorf("after re-run: UIDs %v, want [1 4] (deleted message not brought back)", uidsOf(msgs))
	}
	if got := mustMailbox(t, s, acc.ID, "Work/2024"); got.UIDNext != 5 || got.UIDValidity != 42 {
		t.Errorf("mailbox %+v", got)
	}
}

// TestImportRefusals: every import that would break an identifier invariant
// is refused with an error that says what is wrong, and nothing changes.
func TestImportRefusals(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	other := newTestAccount(t, s, "bob")
	mb, err := s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "INBOX", UIDValidity: 100, UIDNext: 11})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, acc.ID, mb.ID, []ImportMessage{importMsg(5, "taken-uidl"), importMsg(9, "")}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expunge(ctx, acc.ID, mb.ID, []UID{9}); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, acc.ID, mb.ID, "Subject: native, UID 11\r\n\r\n")
	noKey := func(m ImportMessage) ImportMessage { m.SourceKey = ""; return m }
	for _, tc := range []struct {
		name string
		msgs []ImportMessage
		opts ImportOptions
		want error
		says string
	}{
		{"UID held", []ImportMessage{noKey(importMsg(5, ""))}, ImportOptions{}, ErrUIDReuse, "already held"},
		{"below a native UID", []ImportMessage{noKey(importMsg(7, ""))}, ImportOptions{}, ErrUIDReuse, "this server has assigned itself"},
		{"expunged UID with FillGaps", []ImportMessage{noKey(importMsg(9, ""))}, ImportOptions{FillGaps: true}, ErrUIDReuse, "never be reused"},
		{"UID 0", []ImportMessage{noKey(importMsg(0, ""))}, ImportOptions{}, ErrUIDReuse, "not a valid UID"},
		{"not ascending", []ImportMessage{importMsg(20, ""), importMsg(15, "")}, ImportOptions{}, ErrUIDNotAscending, "follows UID 20"},
		{"UIDL with space", []ImportMessage{importMsg(20, "has space")}, ImportOptions{}, ErrInvalidUIDL, "0x20"},
		{"UIDL 8-bit", []ImportMessage{importMsg(20, "caf\xc3\xa9")}, ImportOptions{}, ErrInvalidUIDL, "outside 0x21-0x7E"},
		{"UIDL too long", []ImportMessage{importMsg(20, strings.Repeat("u", 71))}, ImportOptions{}, ErrInvalidUIDL, "at most 70"},
		{"UIDL taken", []ImportMessage{importMsg(20, "taken-uidl")}, ImportOptions{}, ErrUIDLExists, "already used"},
		{"UIDL twice in one batch", []ImportMessage{importMsg(20, "dup"), importMsg(21, "dup")}, ImportOptions{}, ErrUIDLExists, "also given to UID 20"},
		{"bad flag", []ImportMessage{{UID: 20, Flags: []string{`\Recent`}, Body: strings.NewReader("x")}}, ImportOptions{}, ErrInvalidFlag, `\Recent`},
		{"valid then invalid: nothing written", []ImportMessage{importMsg(30, ""), importMsg(31, "bad uidl")}, ImportOptions{}, ErrInvalidUIDL, "0x20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := dump(t, s)
			_, err := s.Import(ctx, acc.ID, mb.ID, tc.msgs, tc.opts)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("got %v, want %v saying %q", err, tc.want, tc.says)
			}
			if dump(t, s) != before {
				t.Error("refused import changed the store")
			}
		})
	}
	// UIDVALIDITY conflicts: a mailbox that gave out UIDs keeps its UIDVALIDITY.
	before := dump(t, s)
	_, err = s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "INBOX", UIDValidity: 200})
	if !errors.Is(err, ErrUIDValidityConflict) || !strings.Contains(err.Error(), `"INBOX" has UIDVALIDITY 100`) {
		t.Errorf("UIDVALIDITY conflict: %v", err)
	}
	if dump(t, s) != before {
		t.Error("refused ImportMailbox changed the store")
	}
	// A deleted name's UIDVALIDITY may not come back (RFC 9051 §2.3.1.1).
	tmp, _ := s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "Old", UIDValidity: 500})
	s.DeleteMailbox(ctx, acc.ID, "Old")
	if _, err := s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "Old", UIDValidity: tmp.UIDValidity}); !errors.Is(err, ErrUIDValidityConflict) {
		t.Errorf("re-import of a deleted name with its old UIDVALIDITY: %v", err)
	}
	// Another account's mailbox is not found, whatever its ID.
	if _, err := s.Import(ctx, other.ID, mb.ID, []ImportMessage{importMsg(50, "")}, ImportOptions{}); !errors.Is(err, ErrMailboxNotFound) {
		t.Errorf("import into another account's mailbox: %v", err)
	}
}

func TestImportFillGaps(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	mb, _ := s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "INBOX", UIDValidity: 7, UIDNext: 10})
	if _, err := s.Import(ctx, acc.ID, mb.ID, []ImportMessage{importMsg(3, ""), importMsg(8, "")}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	// UID 5 was missed by the first run (a fetch error at the source); it is
	// still in the source's reserved range.
	res, err := s.Import(ctx, acc.ID, mb.ID, []ImportMessage{importMsg(5, "")}, ImportOptions{})
	if err != nil || res[0].Message.UID != 5 {
		t.Fatalf("reserved range: %+v, %v", res, err)
	}
	// After a native delivery (UID 10), UID 6 needs FillGaps.
	mustAppend(t, s, acc.ID, mb.ID, "Subject: native\r\n\r\n")
	if _, err := s.Import(ctx, acc.ID, mb.ID, []ImportMessage{importMsg(6, "")}, ImportOptions{}); !errors.Is(err, ErrUIDReuse) {
		t.Fatalf("below a native UID without FillGaps: %v", err)
	}
	res, err = s.Import(ctx, acc.ID, mb.ID, []ImportMessage{importMsg(6, "")}, ImportOptions{FillGaps: true})
	if err != nil || res[0].Message.UID != 6 {
		t.Fatalf("gap fill: %+v, %v", res, err)
	}
	if got := mustMailbox(t, s, acc.ID, "INBOX"); got.UIDNext != 11 {
		t.Errorf("UIDNEXT %d after gap fill, want 11", got.UIDNext)
	}
}

func TestImportLargeBatchSpansTransactions(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	mb, _ := s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "Bulk", UIDValidity: 9})
	var msgs []ImportMessage
	for i := 1; i <= importBatchCount+50; i++ {
		m := importMsg(UID(i*2), "")
		msgs = append(msgs, m)
	}
	res, err := s.Import(ctx, acc.ID, mb.ID, msgs, ImportOptions{})
	if err != nil || len(res) != len(msgs) {
		t.Fatalf("Import: %d results, %v", len(res), err)
	}
	got := mustMailbox(t, s, acc.ID, "Bulk")
	if got.Messages != uint32(len(msgs)) || got.UIDNext != UID(2*len(msgs)+1) {
		t.Errorf("mailbox %+v", got)
	}
}
