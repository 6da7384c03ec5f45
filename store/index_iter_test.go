package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// EachMessageSummary streams exactly what MessageSummaries copies, and
// IndexReader.DateSize answers what the records hold, also after flag
// changes and expunges reached the index.
func TestEachMessageSummaryAndIndexReader(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	date := time.Date(2021, 3, 5, 9, 11, 12, 0, time.UTC)
	var uids []UID
	for i := range 6 {
		body := "Subject: m\r\n\r\n" + string(make([]byte, i*10))
		res, err := s.Append(ctx, acc.ID, inbox.ID, strings.NewReader(body), AppendOptions{Flags: []string{FlagSeen}, InternalDate: date.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		uids = append(uids, res.Message.UID)
	}
	if _, err := s.StoreFlags(ctx, acc.ID, inbox.ID, uids[1:3], FlagsAdd, []string{"$Work"}, StoreFlagsOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expunge(ctx, acc.ID, inbox.ID, uids[4:5]); err != nil {
		t.Fatal(err)
	}

	want, err := s.MessageSummaries(ctx, acc.ID, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []MessageSummary
	counted := -1
	err = s.EachMessageSummary(ctx, acc.ID, inbox.ID, func(n int) { counted = n }, func(m *MessageSummary) { got = append(got, *m) })
	if err != nil {
		t.Fatal(err)
	}
	if counted != len(want) || !reflect.DeepEqual(got, want) {
		t.Fatalf("EachMessageSummary: count %d, %+v\nwant %+v", counted, got, want)
	}
	if len(got) != 5 || len(got[1].Flags) != 2 {
		t.Fatalf("unexpected listing %+v", got)
	}

	r, err := s.IndexReader(ctx, acc.ID, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range want {
		d, n, ok := r.DateSize(m.UID)
		if !ok || !d.Equal(m.InternalDate) || n != m.Size {
			t.Errorf("DateSize(%d) = %v %d %v, want %v %d", m.UID, d, n, ok, m.InternalDate, m.Size)
		}
	}
	if _, _, ok := r.DateSize(uids[4]); ok {
		t.Errorf("DateSize of an expunged message: ok")
	}
	// Out of order, and after the entries moved under the reader's hint.
	for _, k := range []int{5, 0, 3} {
		if _, n, ok := r.DateSize(uids[k]); !ok || n != want[min(k, 4)].Size {
			t.Errorf("DateSize(%d) out of order: %d %v", uids[k], n, ok)
		}
	}
	if _, err := s.Expunge(ctx, acc.ID, inbox.ID, uids[0:1]); err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1, 2, 3, 5} {
		if _, n, ok := r.DateSize(uids[k]); !ok || n != want[min(k, 4)].Size {
			t.Errorf("DateSize(%d) after an expunge: %d %v", uids[k], n, ok)
		}
	}
	if _, _, ok := r.DateSize(uids[0]); ok {
		t.Errorf("DateSize of a message expunged after the reader was taken: ok")
	}

	old, err := s.CreateMailbox(ctx, acc.ID, "Old", CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, acc.ID, old.ID, "Subject: o\r\n\r\nx")
	if _, err := s.IndexReader(ctx, acc.ID, old.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMailbox(ctx, acc.ID, "Old"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IndexReader(ctx, acc.ID, old.ID); !errors.Is(err, ErrMailboxNotFound) {
		t.Errorf("IndexReader of a deleted mailbox: %v, want ErrMailboxNotFound", err)
	}
}
