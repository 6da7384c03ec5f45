package spool

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// TestBody writes bodies below, at and above the memory bound, in one
// write and in many, and reads each back whole; only the one above the
// bound makes a file, and that file is unlinked at once.
func TestBody(t *testing.T) {
	const mem = 1000
	tests := []struct {
		name   string
		size   int
		chunk  int
		inFile bool
	}{
		{"empty", 0, 1, false},
		{"small", 10, 3, false},
		{"at the bound", mem, mem, false},
		{"above, one write", mem + 1, mem + 1, true},
		{"above, many writes", 5*mem + 7, 333, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			want := bytes.Repeat([]byte("0123456789abcdef\n"), tc.size/17+1)[:tc.size]
			b := New(dir, "ferrymail-test-*", mem)
			for rest := want; len(rest) > 0; {
				n := min(tc.chunk, len(rest))
				if w, err := b.Write(rest[:n]); err != nil || w != n {
					t.Fatalf("Write: %d, %v", w, err)
				}
				rest = rest[n:]
			}
			if b.InFile() != tc.inFile {
				t.Errorf("InFile = %v, want %v", b.InFile(), tc.inFile)
			}
			if b.Size() != int64(tc.size) {
				t.Errorf("Size = %d, want %d", b.Size(), tc.size)
			}
			left, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 0 {
				t.Errorf("spool left %d files in its directory, want them unlinked", len(left))
			}
			if err := b.Ready(); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(b)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("read back %d bytes, want %d equal bytes", len(got), len(want))
			}
			if err := b.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := b.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if n, err := b.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Errorf("Read after Close = %d, %v; want 0, EOF", n, err)
			}
		})
	}
}

// TestBodyBadDir: a spool whose directory cannot hold a file says so on
// the write that passes the bound, not later.
func TestBodyBadDir(t *testing.T) {
	b := New(t.TempDir()+"/missing", "ferrymail-test-*", 4)
	if _, err := b.Write([]byte("abc")); err != nil {
		t.Fatalf("write within the bound: %v", err)
	}
	if _, err := b.Write([]byte("defgh")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("write past the bound into a missing directory: err = %v, want one naming it", err)
	}
	b.Close()
}

// TestReadBeforeReady: a body not yet turned around reads as empty.
func TestReadBeforeReady(t *testing.T) {
	b := New("", "ferrymail-test-*", 10)
	b.Write([]byte("hello"))
	if n, err := b.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Fatalf("Read before Ready = %d, %v; want 0, EOF", n, err)
	}
}
