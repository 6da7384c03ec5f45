package importtest

import (
	"context"
	"testing"
)

// TestNewStore: the store is open with the account the importer tests
// log in as.
func TestNewStore(t *testing.T) {
	st, acc := NewStore(t)
	got, err := st.Account(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != acc.ID {
		t.Fatalf("account %v, want %v", got.ID, acc.ID)
	}
}
