package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// newTestStore opens a store in a fresh directory. At the end of the test it
// runs CheckConsistency, then closes the store: every store test ends with
// the invariant checker (CONVENTIONS §10).
func newTestStore(t testing.TB) *Store {
	t.Helper()
	return openTestStore(t, t.TempDir())
}

func openTestStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, Options{MemTableSize: 8 << 20, GCInterval: -1, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.CheckConsistency(context.Background()); err != nil {
			t.Errorf("CheckConsistency at the end of the test:\n%v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func newTestAccount(t testing.TB, s *Store, name string) Account {
	t.Helper()
	acc, err := s.CreateAccount(context.Background(), name, "secret-"+name)
	if err != nil {
		t.Fatalf("CreateAccount(%q): %v", name, err)
	}
	return acc
}

func mustMailbox(t testing.TB, s *Store, a AccountID, name string) Mailbox {
	t.Helper()
	mb, err := s.Mailbox(context.Background(), a, name)
	if err != nil {
		t.Fatalf("Mailbox(%q): %v", name, err)
	}
	return mb
}

func mustAppend(t testing.TB, s *Store, a AccountID, m MailboxID, body string, flags ...string) Appended {
	t.Helper()
	res, err := s.Append(context.Background(), a, m, strings.NewReader(body), AppendOptions{Flags: flags})
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return res
}

func readAll(t testing.TB, s *Store, a AccountID, m MailboxID, uid UID) []byte {
	t.Helper()
	r, err := s.OpenMessage(context.Background(), a, m, uid)
	if err != nil {
		t.Fatalf("OpenMessage(%d): %v", uid, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading message %d: %v", uid, err)
	}
	return b
}

func uidsOf(msgs []Message) []UID {
	out := make([]UID, len(msgs))
	for i, m := range msgs {
		out[i] = m.UID
	}
	return out
}

// dump renders every key and value (but the ID sequence's lease) so a test
// can show that a refused operation changed nothing.
func dump(t testing.TB, s *Store) string {
	t.Helper()
	var b strings.Builder
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			if k[0] == tSequence || bytes.HasPrefix(k, []byte("!badger")) {
				continue
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%x=%x\n", k, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func equalUIDs(a, b []UID) bool { return slices.Equal(a, b) }

type badgerTxn = badger.Txn
