// Package importtest holds what the importer's tests share: a store to
// import into. It is imported by _test.go files only.
package importtest

import (
	"context"
	"log/slog"
	"testing"

	"github.com/ferrymail/ferrymail/store"
)

// NewStore opens a fresh store in a temporary directory with the account
// "alice" (password "pw") to import into. When the test ends the store's
// consistency is checked (a failure fails the test) and it is closed.
func NewStore(t testing.TB) (*store.Store, store.Account) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{MemTableSize: 4 << 20, GCInterval: -1, NoSync: true,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.CheckConsistency(ctx); err != nil {
			t.Errorf("CheckConsistency: %v", err)
		}
		st.Close()
	})
	acc, err := st.CreateAccount(ctx, "alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	return st, acc
}
