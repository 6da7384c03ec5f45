package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestDiskSize: a message above the value threshold goes to the value log,
// and the records to the LSM tree; badger measures both when it opens.
func TestDiskSize(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, Options{MemTableSize: 8 << 20, GCInterval: -1, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	acc := newTestAccount(t, s, "alice")
	inbox := mustMailbox(t, s, acc.ID, InboxName)
	body := "Subject: big\r\n\r\n" + strings.Repeat("0123456789abcdef\r\n", 20000) // 360 KB
	mustAppend(t, s, acc.ID, inbox.ID, body)
	// While open, the value log file is preallocated to 2 GiB, sparse:
	// what counts is what it occupies.
	if _, vlog := s.DiskSize(); vlog < int64(len(body)) || vlog > 64<<20 {
		t.Errorf("value log size while open: got %d, want between %d and 64 MiB", vlog, len(body))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openTestStore(t, dir)
	lsm, vlog := s.DiskSize()
	if lsm <= 0 {
		t.Errorf("LSM size after reopening: got %d, want > 0 (the memtable is flushed on close)", lsm)
	}
	if vlog < int64(len(body)) {
		t.Errorf("value log size after reopening: got %d, want at least the message's %d bytes", vlog, len(body))
	}
}

func TestPing(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir(), Options{MemTableSize: 8 << 20, GCInterval: -1, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping on an open store: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Ping(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Ping with a cancelled context: got %v, want context.Canceled", err)
	}
	s.Close()
	if err := s.Ping(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Ping on a closed store: got %v, want ErrClosed", err)
	}
}
