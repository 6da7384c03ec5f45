package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func TestCreateAccountDefaults(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "Alice@example.org")
	boxes, err := s.Mailboxes(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"INBOX": "", "Sent": `\Sent`, "Drafts": `\Drafts`, "Trash": `\Trash`, "Junk": `\Junk`, "Archive": `\Archive`}
	if len(boxes) != len(want) {
		t.Fatalf("got %d mailboxes, want %d", len(boxes), len(want))
	}
	seen := map[uint32]bool{}
	for _, mb := range boxes {
		use, ok := want[mb.Name]
		if !ok || use != mb.SpecialUse {
			t.Errorf("mailbox %q special-use %q, want %q (known %v)", mb.Name, mb.SpecialUse, use, ok)
		}
		if !mb.Subscribed || mb.UIDNext != 1 || mb.UIDValidity == 0 || seen[mb.UIDValidity] {
			t.Errorf("mailbox %+v: want subscribed, UIDNEXT 1, a distinct UIDVALIDITY", mb)
		}
		seen[mb.UIDValidity] = true
	}
	if _, err := s.CreateAccount(ctx, "alice@EXAMPLE.org", "x"); !errors.Is(err, ErrAccountExists) {
		t.Errorf("duplicate account (other case): got %v, want ErrAccountExists", err)
	}
}

func TestAuthenticate(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "bob")
	if got, err := s.Authenticate(ctx, "BOB", "secret-bob"); err != nil || got.ID != acc.ID {
		t.Errorf("Authenticate(right password) = %v, %v", got, err)
	}
	for _, tc := range []struct{ user, pw string }{{"bob", "wrong"}, {"bob", ""}, {"nobody", "secret-bob"}} {
		if _, err := s.Authenticate(ctx, tc.user, tc.pw); !errors.Is(err, ErrAuthFailed) {
			t.Errorf("Authenticate(%q, %q) = %v, want ErrAuthFailed", tc.user, tc.pw, err)
		}
	}
	if err := s.SetPassword(ctx, acc.ID, "new pass"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "bob", "secret-bob"); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("old password still works after SetPassword: %v", err)
	}
	if _, err := s.Authenticate(ctx, "bob", "new pass"); err != nil {
		t.Errorf("new password: %v", err)
	}
}

func TestPasswordNeverStoredInPlaintext(t *testing.T) {
	s := newTestStore(t)
	if _, err := s.CreateAccount(context.Background(), "carol", "PlainTextCanary123"); err != nil {
		t.Fatal(err)
	}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, _ := it.Item().ValueCopy(nil)
			if strings.Contains(string(v), "PlainTextCanary123") {
				t.Errorf("key %q holds the plaintext password", it.Item().Key())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestInvalidAccountNames(t *testing.T) {
	s := newTestStore(t)
	for _, name := range []string{"", "a b", "tab\there", "\xff\xfe", strings.Repeat("x", 256)} {
		before := dump(t, s)
		if _, err := s.CreateAccount(context.Background(), name, "pw"); !errors.Is(err, ErrInvalidAccountName) {
			t.Errorf("CreateAccount(%q) = %v, want ErrInvalidAccountName", name, err)
		}
		if dump(t, s) != before {
			t.Errorf("CreateAccount(%q) was refused but changed the store", name)
		}
	}
}

func TestDeleteAccount(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "dave")
	keep := newTestAccount(t, s, "erin")
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	other := mustMailbox(t, s, keep.ID, "INBOX")
	body := "Subject: shared\r\n\r\nsame bytes in two accounts\r\n"
	mustAppend(t, s, acc.ID, inbox.ID, body)
	mustAppend(t, s, keep.ID, other.ID, body)
	if err := s.DeleteAccount(ctx, acc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Account(ctx, "dave"); !errors.Is(err, ErrAccountNotFound) {
		t.Errorf("deleted account still found: %v", err)
	}
	if _, err := s.Authenticate(ctx, "dave", "secret-dave"); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("deleted account can log in: %v", err)
	}
	if got := string(readAll(t, s, keep.ID, other.ID, 1)); got != body {
		t.Errorf("other account's shared message: got %q", got)
	}
	// The name is free again, with fresh mailboxes.
	again := newTestAccount(t, s, "dave")
	if again.ID == acc.ID {
		t.Error("account ID reused")
	}
	if n := mustMailbox(t, s, again.ID, "INBOX").Messages; n != 0 {
		t.Errorf("re-created account's INBOX has %d messages", n)
	}
}

func TestEmptyPasswordRefused(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	if _, err := s.CreateAccount(ctx, "frank", ""); !errors.Is(err, ErrEmptyPassword) {
		t.Errorf("CreateAccount with empty password: %v", err)
	}
	acc := newTestAccount(t, s, "frank")
	if err := s.SetPassword(ctx, acc.ID, ""); !errors.Is(err, ErrEmptyPassword) {
		t.Errorf("SetPassword(\"\"): %v", err)
	}
	if _, err := s.Authenticate(ctx, "frank", ""); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("empty password authenticated: %v", err)
	}
}

// A re-created account must not hand out the UIDVALIDITYs of its
// predecessor: a client with a cache of the old account would trust it.
func TestRecreatedAccountGetsLargerUIDValidity(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	old := newTestAccount(t, s, "gina")
	// An imported UIDVALIDITY far in the future, above the clock.
	if _, err := s.ImportMailbox(ctx, old.ID, ImportMailboxSpec{Name: "Future", UIDValidity: 4000000000}); err != nil {
		t.Fatal(err)
	}
	oldInbox := mustMailbox(t, s, old.ID, "INBOX")
	if err := s.DeleteAccount(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	again := newTestAccount(t, s, "gina")
	for _, mb := range []string{"INBOX", "Sent"} {
		if got := mustMailbox(t, s, again.ID, mb).UIDValidity; got <= 4000000000 || got == oldInbox.UIDValidity {
			t.Errorf("re-created account's %s has UIDVALIDITY %d, want above 4000000000", mb, got)
		}
	}
}

func TestOpenTwiceIsLocked(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	_ = s
	if _, err := Open(context.Background(), dir, Options{Logger: quietLogger()}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open of %s: got %v, want ErrLocked", dir, err)
	}
}
