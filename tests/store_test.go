package tests

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/ferrymail/ferrymail/store"
)

// openStore opens the store of a data directory in the test process, as a
// second process next to the binary.
func openStore(t *testing.T, dir string) (*store.Store, error) {
	t.Helper()
	return store.Open(context.Background(), dir, store.Options{
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		MemTableSize: 4 << 20,
		GCInterval:   -1,
	})
}

func mustOpenStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := openStore(t, dir)
	if err != nil {
		t.Fatalf("opening the store in the test: %v", err)
	}
	return st
}

func mustClose(t *testing.T, st *store.Store) {
	t.Helper()
	if err := st.CheckConsistency(context.Background()); err != nil {
		t.Errorf("CheckConsistency: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("closing the store: %v", err)
	}
}
