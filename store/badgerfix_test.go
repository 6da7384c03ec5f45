package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenAfterEmptyLogFile: a kill -9 between badger creating a memtable or
// value-log file and writing to it leaves a 0-byte file, on which
// badger.Open fails ("Create a new file", dgraph-io/badger#2207). Open must
// still open the store, with nothing lost.
func TestOpenAfterEmptyLogFile(t *testing.T) {
	for _, name := range []string{"00099.mem", "000099.vlog"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(context.Background(), dir, Options{MemTableSize: 8 << 20, GCInterval: -1, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			acc := newTestAccount(t, s, "alice")
			inbox := mustMailbox(t, s, acc.ID, "INBOX")
			mustAppend(t, s, acc.ID, inbox.ID, "Subject: kept\r\n\r\nx\r\n")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			s = openTestStore(t, dir)
			if got := string(readAll(t, s, acc.ID, inbox.ID, 1)); got != "Subject: kept\r\n\r\nx\r\n" {
				t.Errorf("after reopening: %q", got)
			}
		})
	}
}
