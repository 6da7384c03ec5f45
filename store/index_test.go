package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// summariesFromBadger is what MessageSummaries must return: the records as
// Messages() decodes them from badger.
func summariesFromBadger(t testing.TB, s *Store, a AccountID, m MailboxID) []MessageSummary {
	t.Helper()
	msgs, err := s.Messages(context.Background(), a, m)
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	out := make([]MessageSummary, len(msgs))
	for i, msg := range msgs {
		out[i] = MessageSummary{UID: msg.UID, ModSeq: msg.ModSeq, Flags: msg.Flags, InternalDate: msg.InternalDate, Size: msg.Size}
	}
	return out
}

func equalSummaries(a, b []MessageSummary) bool {
	return slices.EqualFunc(a, b, func(x, y MessageSummary) bool {
		return x.UID == y.UID && x.ModSeq == y.ModSeq && slices.Equal(x.Flags, y.Flags) &&
			x.InternalDate.Equal(y.InternalDate) && x.Size == y.Size
	})
}

func checkIndexAgrees(t *testing.T, s *Store, a AccountID, m MailboxID, step string) {
	t.Helper()
	got, err := s.MessageSummaries(context.Background(), a, m)
	if err != nil {
		t.Fatalf("%s: MessageSummaries: %v", step, err)
	}
	if want := summariesFromBadger(t, s, a, m); !equalSummaries(got, want) {
		t.Fatalf("%s: index\n%v\nbadger\n%v", step, got, want)
	}
	if err := s.CheckConsistency(context.Background()); err != nil {
		t.Fatalf("%s: CheckConsistency: %v", step, err)
	}
}

// TestIndexFollowsEveryWrite: after each kind of write (append, flags,
// expunge, copy, move, import with a gap fill, rename, delete), the loaded
// index equals what badger holds.
func TestIndexFollowsEveryWrite(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	for i := range 5 {
		mustAppend(t, s, acc.ID, inbox.ID, fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i))
	}
	checkIndexAgrees(t, s, acc.ID, inbox.ID, "load")

	mustAppend(t, s, acc.ID, inbox.ID, "Subject: six\r\n\r\nsix\r\n", `\Seen`, "$Label1")
	checkIndexAgrees(t, s, acc.ID, inbox.ID, "append")

	if _, err := s.StoreFlags(ctx, acc.ID, inbox.ID, []UID{1, 3, 6}, FlagsAdd, []string{`\Deleted`, "$Work"}, StoreFlagsOptions{}); err != nil {
		t.Fatal(err)
	}
	checkIndexAgrees(t, s, acc.ID, inbox.ID, "store flags")

	if _, err := s.ExpungeDeleted(ctx, acc.ID, inbox.ID, nil); err != nil {
		t.Fatal(err)
	}
	checkIndexAgrees(t, s, acc.ID, inbox.ID, "expunge deleted")
	if _, err := s.Expunge(ctx, acc.ID, inbox.ID, []UID{4}); err != nil {
		t.Fatal(err)
	}
	checkIndexAgrees(t, s, acc.ID, inbox.ID, "expunge one")

	other, err := s.CreateMailbox(ctx, acc.ID, "Other", CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkIndexAgrees(t, s, acc.ID, other.ID, "load empty")
	if _, err := s.Copy(ctx, acc.ID, inbox.ID, other.ID, []UID{2}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Move(ctx, acc.ID, inbox.ID, other.ID, []UID{5}); err != nil {
		t.Fatal(err)
	}
	checkIndexAgrees(t, s, acc.ID, inbox.ID, "move out")
	checkIndexAgrees(t, s, acc.ID, other.ID, "copy and move in")

	// An import mailbox with a reserved UID range, filled out of order.
	imp, err := s.ImportMailbox(ctx, acc.ID, ImportMailboxSpec{Name: "Imported", UIDValidity: 77, UIDNext: 100})
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC)
	importOne := func(uid UID, opts ImportOptions) {
		t.Helper()
		_, err := s.Import(ctx, acc.ID, imp.ID, []ImportMessage{{UID: uid, InternalDate: date, Flags: []string{`\Answered`},
			Body: bytes.NewReader(fmt.Appendf(nil, "Subject: %d\r\n\r\nimported\r\n", uid))}}, opts)
		if err != nil {
			t.Fatalf("Import UID %d: %v", uid, err)
		}
	}
	importOne(50, ImportOptions{})
	checkIndexAgrees(t, s, acc.ID, imp.ID, "import")
	importOne(90, ImportOptions{})
	importOne(70, ImportOptions{FillGaps: true})
	checkIndexAgrees(t, s, acc.ID, imp.ID, "import gap fill")

	if err := s.RenameMailbox(ctx, acc.ID, "Other", "Renamed"); err != nil {
		t.Fatal(err)
	}
	checkIndexAgrees(t, s, acc.ID, other.ID, "rename")

	if err := s.DeleteMailbox(ctx, acc.ID, "Renamed"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MessageSummaries(ctx, acc.ID, other.ID); !errors.Is(err, ErrMailboxNotFound) {
		t.Fatalf("MessageSummaries of a deleted mailbox: %v, want ErrMailboxNotFound", err)
	}
	bob := newTestAccount(t, s, "bob")
	if _, err := s.MessageSummaries(ctx, bob.ID, inbox.ID); !errors.Is(err, ErrMailboxNotFound) {
		t.Fatalf("MessageSummaries of another account's mailbox: %v, want ErrMailboxNotFound", err)
	}
}

// TestIndexRebuiltAfterOpen: the index is not persisted; after a reopen it is
// read again from badger and agrees.
func TestIndexRebuiltAfterOpen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, dir, Options{MemTableSize: 8 << 20, GCInterval: -1, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	for i := range 20 {
		mustAppend(t, s, acc.ID, inbox.ID, fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i), `\Seen`)
	}
	before, err := s.MessageSummaries(ctx, acc.ID, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTestStore(t, dir)
	checkIndexAgrees(t, s, acc.ID, inbox.ID, "after reopen")
	after, _ := s.MessageSummaries(ctx, acc.ID, inbox.ID)
	if !equalSummaries(before, after) {
		t.Fatalf("before close\n%v\nafter reopen\n%v", before, after)
	}
}

// TestIndexConcurrentWriters: appends, flag changes and expunges run while
// other goroutines list the mailbox (run with -race). Every listing is
// ascending and duplicate-free; at the end the index equals badger.
func TestIndexConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	for i := range 50 {
		mustAppend(t, s, acc.ID, inbox.ID, fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	const rounds = 60
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range rounds {
				var err error
				switch i % 3 {
				case 0:
					_, err = s.Append(ctx, acc.ID, inbox.ID, bytes.NewReader(fmt.Appendf(nil, "Subject: w%d %d\r\n\r\nx\r\n", w, i)), AppendOptions{})
				case 1:
					uids := []UID{UID(1 + rng.IntN(200)), UID(1 + rng.IntN(200))}
					_, err = s.StoreFlags(ctx, acc.ID, inbox.ID, uids, FlagsAdd, []string{`\Seen`, fmt.Sprintf("$k%d", rng.IntN(4))}, StoreFlagsOptions{})
				case 2:
					_, err = s.Expunge(ctx, acc.ID, inbox.ID, []UID{UID(1 + rng.IntN(200))})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				got, err := s.MessageSummaries(ctx, acc.ID, inbox.ID)
				if err != nil {
					errs <- err
					return
				}
				for i := 1; i < len(got); i++ {
					if got[i-1].UID >= got[i].UID {
						errs <- fmt.Errorf("listing not ascending at %d: %d then %d", i, got[i-1].UID, got[i].UID)
						return
					}
				}
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkIndexAgrees(t, s, acc.ID, inbox.ID, "after concurrent writers")
}

// TestIndexRemoveMany: a multi-UID expunge removes exactly those entries,
// UIDs absent from the index included.
func TestIndexRemoveMany(t *testing.T) {
	b := newBoxIndex(1, 0)
	for uid := UID(1); uid <= 10; uid++ {
		b.add(&Message{UID: uid, Flags: []string{`\Seen`}})
	}
	b.remove([]UID{2, 3, 5, 11, 12})
	var got []UID
	for _, e := range b.summaries() {
		got = append(got, e.UID)
	}
	if want := []UID{1, 4, 6, 7, 8, 9, 10}; !slices.Equal(got, want) {
		t.Fatalf("after remove: %v, want %v", got, want)
	}
	if len(b.flagSets) != 1 {
		t.Fatalf("%d interned flag lists, want 1", len(b.flagSets))
	}
}
