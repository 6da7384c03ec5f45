package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAppendAssignsAscendingUIDsAndTemplateUIDLs(t *testing.T) {
	s := newTestStore(t)
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	for i := 1; i <= 5; i++ {
		res := mustAppend(t, s, acc.ID, inbox.ID, fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i))
		if res.Message.UID != UID(i) || res.UIDValidity != inbox.UIDValidity {
			t.Fatalf("append %d: UID %d UIDVALIDITY %d", i, res.Message.UID, res.UIDValidity)
		}
		// Dovecot's %08Xu%08Xv: UID then UIDVALIDITY, lowercase hex.
		if want := fmt.Sprintf("%08x%08x", i, inbox.UIDValidity); res.Message.UIDL != want {
			t.Errorf("UIDL %q, want %q", res.Message.UIDL, want)
		}
	}
	mb := mustMailbox(t, s, acc.ID, "INBOX")
	if mb.UIDNext != 6 || mb.Messages != 5 || mb.Unseen != 5 || mb.HighestModSeq < 6 {
		t.Errorf("mailbox after 5 appends: %+v", mb)
	}
}

func TestUIDsNeverReusedAfterExpunge(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	for i := 0; i < 3; i++ {
		mustAppend(t, s, acc.ID, inbox.ID, "Subject: a\r\n\r\nx\r\n")
	}
	gone, err := s.Expunge(ctx, acc.ID, inbox.ID, []UID{3, 2, 3, 99})
	if err != nil || !equalUIDs(gone, []UID{2, 3}) {
		t.Fatalf("Expunge = %v, %v; want [2 3]", gone, err)
	}
	res := mustAppend(t, s, acc.ID, inbox.ID, "Subject: b\r\n\r\ny\r\n")
	if res.Message.UID != 4 {
		t.Errorf("append after expunging the highest UIDs got UID %d, want 4", res.Message.UID)
	}
	msgs, _ := s.Messages(ctx, acc.ID, inbox.ID)
	if !equalUIDs(uidsOf(msgs), []UID{1, 4}) {
		t.Errorf("UIDs %v, want [1 4]", uidsOf(msgs))
	}
}

func TestBytesStoredExactlyAfterCRLFNormalisation(t *testing.T) {
	s := newTestStore(t)
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	for _, tc := range []struct{ in, want string }{
		{"Subject: lf\n\nline\n", "Subject: lf\r\n\r\nline\r\n"},
		{"Subject: crlf\r\n\r\nline\r\n", "Subject: crlf\r\n\r\nline\r\n"},
		{"Subject: mixed\r\n\nbare\rcr\n", "Subject: mixed\r\n\r\nbare\rcr\r\n"},
		{"no header at all, no newline", "no header at all, no newline"},
		{"From mbox-line Mon Jan 1\nnot: a header\x00\xff\n", "From mbox-line Mon Jan 1\r\nnot: a header\x00\xff\r\n"},
		{"", ""},
	} {
		res := mustAppend(t, s, acc.ID, inbox.ID, tc.in)
		got := readAll(t, s, acc.ID, inbox.ID, res.Message.UID)
		if string(got) != tc.want || res.Message.Size != int64(len(tc.want)) {
			t.Errorf("stored %q (size %d), want %q (size %d)", got, res.Message.Size, tc.want, len(tc.want))
		}
	}
}

func TestLargeMessageStreamedAndExact(t *testing.T) {
	s := newTestStore(t)
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	body := make([]byte, 3*inlineMax+12345)
	rand.Read(body)
	// Keep it CRLF-stable: no bare LF in the random bytes.
	for i := range body {
		if body[i] == '\n' || body[i] == '\r' {
			body[i] = 'x'
		}
	}
	msg := append([]byte("Subject: big\r\nContent-Type: application/octet-stream\r\n\r\n"), body...)
	res, err := s.Append(context.Background(), acc.ID, inbox.ID, bytes.NewReader(msg), AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, acc.ID, inbox.ID, res.Message.UID); !bytes.Equal(got, msg) {
		t.Fatalf("large message: read %d bytes, differ from the %d stored", len(got), len(msg))
	}
	// Partial reads (FETCH BODY[]<off.len>) across a chunk boundary.
	r, err := s.OpenMessage(context.Background(), acc.ID, inbox.ID, res.Message.UID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	part := make([]byte, 1000)
	if _, err := r.ReadAt(part, chunkSize-500); err != nil || !bytes.Equal(part, msg[chunkSize-500:chunkSize+500]) {
		t.Errorf("ReadAt across a chunk boundary: %v", err)
	}
	// The same large body again shares the blob; the spare chunks are swept.
	res2, err := s.Append(context.Background(), acc.ID, inbox.ID, bytes.NewReader(msg), AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Message.Blob != res.Message.Blob {
		t.Errorf("identical large bodies: blobs %d and %d, want shared", res.Message.Blob, res2.Message.Blob)
	}
}

func TestTooLargeRefusedAndNothingLeft(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, Options{MemTableSize: 8 << 20, GCInterval: -1, MaxMessageSize: inlineMax + 10, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	before := dump(t, s)
	_, err = s.Append(context.Background(), acc.ID, inbox.ID, bytes.NewReader(make([]byte, 2*inlineMax)), AppendOptions{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if dump(t, s) != before {
		t.Error("a refused large message left data behind")
	}
	if err := s.CheckConsistency(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestDedupeSharesBlobAndSurvivesExpunge(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	a := mustAppend(t, s, acc.ID, inbox.ID, "Subject: same\r\n\r\nsame\r\n")
	b := mustAppend(t, s, acc.ID, inbox.ID, "Subject: same\n\nsame\n") // same after CRLF normalisation
	if a.Message.Blob != b.Message.Blob {
		t.Fatalf("identical bodies got blobs %d and %d", a.Message.Blob, b.Message.Blob)
	}
	if _, err := s.Expunge(ctx, acc.ID, inbox.ID, []UID{a.Message.UID}); err != nil {
		t.Fatal(err)
	}
	if got := string(readAll(t, s, acc.ID, inbox.ID, b.Message.UID)); got != "Subject: same\r\n\r\nsame\r\n" {
		t.Errorf("remaining copy reads %q", got)
	}
}

func TestFlagsCaseAndKeywords(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	res := mustAppend(t, s, acc.ID, inbox.ID, "Subject: f\r\n\r\nx\r\n", `\seen`, "$Label1", "Work")
	if want := []string{`\Seen`, "$Label1", "Work"}; !sameFlags(res.Message.Flags, want) {
		t.Errorf("flags %q, want %q", res.Message.Flags, want)
	}
	second := mustAppend(t, s, acc.ID, inbox.ID, "Subject: g\r\n\r\ny\r\n", "$LABEL1", "NonJunk")
	if want := []string{"$Label1", "NonJunk"}; !sameFlags(second.Message.Flags, want) {
		t.Errorf("flags %q, want the mailbox's first spelling %q", second.Message.Flags, want)
	}
	mb := mustMailbox(t, s, acc.ID, "INBOX")
	if want := []string{"$Label1", "Work", "NonJunk"}; !sameFlags(mb.Keywords, want) {
		t.Errorf("keyword registry %q, want %q", mb.Keywords, want)
	}
	before := mb.HighestModSeq
	out, err := s.StoreFlags(ctx, acc.ID, inbox.ID, []UID{1, 2, 7}, FlagsAdd, []string{`\FLAGGED`, "work"}, StoreFlagsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Updated) != 2 || out.Updated[0].ModSeq != before+1 || out.Updated[1].ModSeq != before+1 {
		t.Errorf("StoreFlags updated %+v, want 2 messages at MODSEQ %d", out.Updated, before+1)
	}
	msg, _ := s.Message(ctx, acc.ID, inbox.ID, 2)
	if want := []string{`\Flagged`, "$Label1", "NonJunk", "Work"}; !sameFlags(msg.Flags, want) {
		t.Errorf("flags after +FLAGS %q, want %q", msg.Flags, want)
	}
	out, err = s.StoreFlags(ctx, acc.ID, inbox.ID, []UID{1}, FlagsRemove, []string{"WORK", `\seen`}, StoreFlagsOptions{})
	if err != nil || len(out.Updated) != 1 {
		t.Fatalf("-FLAGS: %+v, %v", out, err)
	}
	if want := []string{`\Flagged`, "$Label1"}; !sameFlags(out.Updated[0].Flags, want) {
		t.Errorf("flags after -FLAGS %q, want %q", out.Updated[0].Flags, want)
	}
	// A no-op change does not bump MODSEQ.
	hms := mustMailbox(t, s, acc.ID, "INBOX").HighestModSeq
	out, _ = s.StoreFlags(ctx, acc.ID, inbox.ID, []UID{1}, FlagsAdd, []string{`\Flagged`}, StoreFlagsOptions{})
	if len(out.Updated) != 0 || mustMailbox(t, s, acc.ID, "INBOX").HighestModSeq != hms {
		t.Error("a STORE that changed nothing bumped MODSEQ")
	}
	// UNCHANGEDSINCE (RFC 7162 §3.1.3).
	out, _ = s.StoreFlags(ctx, acc.ID, inbox.ID, []UID{1, 2}, FlagsAdd, []string{`\Answered`}, StoreFlagsOptions{UnchangedSince: before + 1})
	if !equalUIDs(out.Modified, []UID{1}) || len(out.Updated) != 1 || out.Updated[0].UID != 2 {
		t.Errorf("UNCHANGEDSINCE: modified %v updated %+v", out.Modified, out.Updated)
	}
	for _, bad := range []string{`\Recent`, `\Custom`, "has space", "paren(", "", strings.Repeat("k", 251)} {
		if _, err := s.StoreFlags(ctx, acc.ID, inbox.ID, []UID{1}, FlagsAdd, []string{bad}, StoreFlagsOptions{}); !errors.Is(err, ErrInvalidFlag) {
			t.Errorf("flag %q: got %v, want ErrInvalidFlag", bad, err)
		}
	}
	mb = mustMailbox(t, s, acc.ID, "INBOX")
	if mb.Unseen != 2 {
		t.Errorf("unseen %d, want 2", mb.Unseen)
	}
}

func TestExpungeDeletedAndTombstones(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	for i := 0; i < 4; i++ {
		mustAppend(t, s, acc.ID, inbox.ID, fmt.Sprintf("Subject: %d\r\n\r\n", i))
	}
	s.StoreFlags(ctx, acc.ID, inbox.ID, []UID{2, 3, 4}, FlagsAdd, []string{`\Deleted`}, StoreFlagsOptions{})
	gone, err := s.ExpungeDeleted(ctx, acc.ID, inbox.ID, []UID{1, 2, 3}) // UID EXPUNGE 1:3
	if err != nil || !equalUIDs(gone, []UID{2, 3}) {
		t.Fatalf("UID EXPUNGE = %v, %v", gone, err)
	}
	gone, err = s.ExpungeDeleted(ctx, acc.ID, inbox.ID, nil)
	if err != nil || !equalUIDs(gone, []UID{4}) {
		t.Fatalf("EXPUNGE = %v, %v", gone, err)
	}
	mb := mustMailbox(t, s, acc.ID, "INBOX")
	if mb.Messages != 1 || mb.Deleted != 0 {
		t.Errorf("mailbox after expunge: %+v", mb)
	}
	for _, uid := range []UID{2, 3, 4} {
		if ok, _ := existsKey(s, keyTombstone(inbox.ID, uid)); !ok {
			t.Errorf("no tombstone for expunged UID %d", uid)
		}
	}
}

func TestCopyAndMove(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	archive := mustMailbox(t, s, acc.ID, "Archive")
	for i := 0; i < 3; i++ {
		mustAppend(t, s, acc.ID, inbox.ID, fmt.Sprintf("Subject: %d\r\n\r\n", i), "$Keep")
	}
	cp, err := s.Copy(ctx, acc.ID, inbox.ID, archive.ID, []UID{1, 3})
	if err != nil || len(cp.Pairs) != 2 || cp.Pairs[0] != (UIDPair{1, 1}) || cp.Pairs[1] != (UIDPair{3, 2}) || cp.DstUIDValidity != archive.UIDValidity {
		t.Fatalf("Copy = %+v, %v", cp, err)
	}
	mv, err := s.Move(ctx, acc.ID, inbox.ID, archive.ID, []UID{2, 3})
	if err != nil || len(mv.Pairs) != 2 || mv.Pairs[0] != (UIDPair{2, 3}) {
		t.Fatalf("Move = %+v, %v", mv, err)
	}
	in, _ := s.Messages(ctx, acc.ID, inbox.ID)
	ar, _ := s.Messages(ctx, acc.ID, archive.ID)
	if !equalUIDs(uidsOf(in), []UID{1}) || !equalUIDs(uidsOf(ar), []UID{1, 2, 3, 4}) {
		t.Errorf("after move: INBOX %v Archive %v", uidsOf(in), uidsOf(ar))
	}
	if got := string(readAll(t, s, acc.ID, archive.ID, 4)); got != "Subject: 2\r\n\r\n" {
		t.Errorf("moved message reads %q", got)
	}
	if !ar[0].HasFlag("$keep") {
		t.Errorf("copy lost its keyword: %v", ar[0].Flags)
	}
	// Move within one mailbox keeps MODSEQ monotonic.
	if _, err := s.Move(ctx, acc.ID, archive.ID, archive.ID, []UID{1}); err != nil {
		t.Fatal(err)
	}
}

func TestEventsInCommitOrder(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	sub := s.Subscribe(acc.ID)
	defer sub.Close()
	const writers, each = 4, 25
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		go func() {
			for i := 0; i < each; i++ {
				if _, err := s.Append(ctx, acc.ID, inbox.ID, strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\n", i)), AppendOptions{}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < writers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s.StoreFlags(ctx, acc.ID, inbox.ID, []UID{5}, FlagsAdd, []string{`\Seen`}, StoreFlagsOptions{})
	s.Expunge(ctx, acc.ID, inbox.ID, []UID{5})
	var changes []Change
	deadline := time.After(5 * time.Second)
	for len(changes) < writers*each+2 {
		select {
		case <-sub.C():
			changes = append(changes, sub.Take()...)
		case <-deadline:
			t.Fatalf("got %d changes, want %d", len(changes), writers*each+2)
		}
	}
	for i := 0; i < writers*each; i++ {
		added, ok := changes[i].(MessageAdded)
		if !ok || added.Message.UID != UID(i+1) {
			t.Fatalf("change %d: %#v, want MessageAdded UID %d (commit order)", i, changes[i], i+1)
		}
	}
	if fc, ok := changes[writers*each].(FlagsChanged); !ok || fc.UID != 5 {
		t.Errorf("want FlagsChanged for UID 5, got %#v", changes[writers*each])
	}
	if ex, ok := changes[writers*each+1].(MessagesExpunged); !ok || !equalUIDs(ex.UIDs, []UID{5}) {
		t.Errorf("want MessagesExpunged [5], got %#v", changes[writers*each+1])
	}
}

func existsKey(s *Store, key []byte) (bool, error) {
	var ok bool
	err := s.view(context.Background(), func(txn *badgerTxn) error {
		var err error
		ok, err = exists(txn, key)
		return err
	})
	return ok, err
}

// The structure computed at ingest lets FETCH serve a section by offset,
// without reparsing: BODY[2] of this message is read straight from the blob.
func TestStructureComputedAtIngest(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	msg := "From: Alice <alice@example.org>\nTo: undisclosed-recipients:;\nSubject: =?utf-8?q?caf=C3=A9?=\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\n\npreamble\n--b1\nContent-Type: text/plain\n\nfirst part\n" +
		"--b1\nContent-Type: text/html; charset=utf-8\n\n<p>second</p>\n--b1--\nepilogue\n"
	res := mustAppend(t, s, acc.ID, inbox.ID, msg)
	st, err := s.Structure(ctx, acc.ID, inbox.ID, res.Message.UID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Envelope.Subject != "=?utf-8?q?caf=C3=A9?=" || len(st.Envelope.From) != 1 || st.Envelope.From[0].Host != "example.org" {
		t.Errorf("envelope %+v", st.Envelope)
	}
	if len(st.Envelope.To) != 2 { // group start + group end
		t.Errorf("undisclosed-recipients: To %+v", st.Envelope.To)
	}
	if st.Body.Type != "multipart" || len(st.Body.Children) != 2 {
		t.Fatalf("body %+v", st.Body)
	}
	p := st.Part([]int{2})
	if p == nil || p.Subtype != "html" {
		t.Fatalf("part 2: %+v", p)
	}
	r, err := s.OpenMessage(ctx, acc.ID, inbox.ID, res.Message.UID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, p.Size())
	if _, err := r.ReadAt(buf, p.BodyStart); err != nil {
		t.Fatal(err)
	}
	if string(buf) != "<p>second</p>" {
		t.Errorf("BODY[2] by offset: %q", buf)
	}
}
