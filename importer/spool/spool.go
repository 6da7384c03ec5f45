// Package spool holds one message body while it waits for its batch: in
// memory up to a bound, then in an unlinked temporary file, so that a batch
// of large messages never sits in memory whole. The live-server sources
// (imapsrc, pop3src) each spool what they download with it.
package spool

import (
	"bytes"
	"io"
	"os"
)

// Body is one body received from a server: written once, then read once
// (by the store, or by a parser for a short string). Ready turns it around
// between the two.
type Body struct {
	dir    string // where the file goes; "" is os.TempDir
	prefix string // the temporary file's name pattern, as os.CreateTemp takes it
	mem    int    // how many bytes are held in memory before a file is made

	buf  bytes.Buffer
	f    *os.File
	size int64
	r    io.Reader
}

// New makes an empty Body that keeps up to mem bytes in memory and the
// rest in a file in dir named after pattern (os.CreateTemp's pattern).
func New(dir, pattern string, mem int) *Body {
	return &Body{dir: dir, prefix: pattern, mem: mem}
}

func (b *Body) Write(p []byte) (int, error) {
	b.size += int64(len(p))
	if b.f == nil && b.buf.Len()+len(p) <= b.mem {
		return b.buf.Write(p)
	}
	if b.f == nil {
		f, err := os.CreateTemp(b.dir, b.prefix)
		if err != nil {
			return 0, err
		}
		// Unlinked at once where the system allows it: nothing is left
		// behind if the import is killed.
		os.Remove(f.Name())
		b.f = f
		if _, err := b.buf.WriteTo(f); err != nil {
			return 0, err
		}
	}
	return b.f.Write(p)
}

// Ready turns the body around for reading.
func (b *Body) Ready() error {
	if b.f == nil {
		b.r = bytes.NewReader(b.buf.Bytes())
		return nil
	}
	if _, err := b.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	b.r = b.f
	return nil
}

// Read gives the body back; before Ready, or after Close, it is empty.
func (b *Body) Read(p []byte) (int, error) {
	if b.r == nil {
		return 0, io.EOF
	}
	return b.r.Read(p)
}

// Size is the number of bytes written, which lets the importer count the
// batch's bytes.
func (b *Body) Size() int64 { return b.size }

// InFile tells whether the body went past its memory bound to a file.
func (b *Body) InFile() bool { return b.f != nil }

// Close releases the file, if any; closing twice is harmless.
func (b *Body) Close() error {
	b.r = nil
	if b.f != nil {
		err := b.f.Close()
		b.f = nil
		return err
	}
	return nil
}
