package store

import (
	"errors"
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"
)

// MessageReader reads a stored message's bytes. It reads from a snapshot, so
// a message expunged meanwhile still reads whole. It implements io.Reader,
// io.ReaderAt and io.Seeker; Close releases the snapshot.
type MessageReader struct {
	*io.SectionReader
	blob *blobReader
}

// Close releases the reader's snapshot.
func (r *MessageReader) Close() error { return r.blob.Close() }

// blobReader reads chunks of one blob from a read-only transaction.
type blobReader struct {
	txn  *badger.Txn
	id   BlobID
	size int64
	// the last chunk read, cached: sequential reads touch each chunk once
	cur    uint32
	curBuf []byte
	cached bool
}

func (s *Store) openBlob(id BlobID, size int64) (*blobReader, error) {
	txn := s.db.NewTransaction(false)
	return &blobReader{txn: txn, id: id, size: size}, nil
}

func (b *blobReader) Close() error {
	b.txn.Discard()
	return nil
}

func (b *blobReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("negative offset %d", off)
	}
	n := 0
	for n < len(p) {
		if off >= b.size {
			return n, io.EOF
		}
		idx := uint32(off / chunkSize)
		if !b.cached || b.cur != idx {
			item, err := b.txn.Get(keyChunk(b.id, idx))
			if errors.Is(err, badger.ErrKeyNotFound) {
				return n, fmt.Errorf("blob %d: chunk %d missing", b.id, idx)
			}
			if err != nil {
				return n, err
			}
			if b.curBuf, err = item.ValueCopy(b.curBuf[:0]); err != nil {
				return n, err
			}
			b.cur, b.cached = idx, true
		}
		within := int(off % chunkSize)
		if within >= len(b.curBuf) {
			return n, fmt.Errorf("blob %d: chunk %d shorter than expected", b.id, idx)
		}
		c := copy(p[n:], b.curBuf[within:])
		n += c
		off += int64(c)
	}
	return n, nil
}

func newSection(b *blobReader, size int64) *io.SectionReader { return io.NewSectionReader(b, 0, size) }

func be32dec(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
