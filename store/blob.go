package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/dgraph-io/badger/v4"

	"github.com/ferrymail/ferrymail/store/structure"
)

const (
	// chunkSize is the largest value of one message chunk. Chunks go to
	// badger's value log; 256 KiB keeps a typical message in one chunk and a
	// partial FETCH of a large one reading little more than it needs.
	chunkSize = 256 << 10
	// inlineMax is the largest message written in the same transaction as its
	// record. Larger ones are streamed to chunks in their own transactions
	// first, so that memory stays bounded "where badger allows" (a badger
	// transaction holds its writes in memory until commit).
	inlineMax = 1 << 20
	// streamTxnBytes bounds one transaction of streamed chunks.
	streamTxnBytes = 8 << 20
)

// ingested is a message body read, normalised, hashed and parsed, ready to be
// referenced by a message record.
type ingested struct {
	hash      [hashSize]byte
	size      int64
	structure []byte // structure.Message, marshalled
	// Exactly one of data and streamed is set: data for bodies up to
	// inlineMax, streamed for larger ones, whose chunks are already written
	// under that blob ID and marked orphan until a message references them.
	data     []byte
	streamed BlobID
	chunks   uint32
}

// ingest reads a message body. Larger bodies are written to chunks as they
// arrive and never held whole in memory.
func (s *Store) ingest(ctx context.Context, body io.Reader) (*ingested, error) {
	r := newCRLFReader(body)
	defer r.release()
	h := sha256.New()
	var buf bytes.Buffer
	buf.Grow(8 << 10)
	n, err := io.Copy(&buf, io.LimitReader(r, inlineMax+1))
	if err != nil {
		return nil, fmt.Errorf("reading message: %w", err)
	}
	if n <= inlineMax {
		data := buf.Bytes()
		h.Write(data)
		ing := &ingested{size: n, data: data}
		copy(ing.hash[:], h.Sum(nil))
		if ing.structure, err = parseStructure(bytes.NewReader(data)); err != nil {
			return nil, err
		}
		return ing, nil
	}
	return s.ingestStreamed(ctx, io.MultiReader(&buf, r), h)
}

func parseStructure(r io.Reader) ([]byte, error) {
	m, err := structure.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("parsing message structure: %w", err)
	}
	return m.MarshalBinary()
}

// ingestStreamed writes a large body to chunks under a new blob ID, in
// bounded transactions, with an orphan mark written first so that a crash
// at any point leaves nothing behind after the next Open.
func (s *Store) ingestStreamed(ctx context.Context, r io.Reader, h hash.Hash) (_ *ingested, err error) {
	id, err := s.nextID()
	if err != nil {
		return nil, err
	}
	ing := &ingested{streamed: BlobID(id)}
	if err := s.update(ctx, func(txn *badger.Txn) error {
		return txn.Set(keyOrphanBlob(ing.streamed), nil)
	}); err != nil {
		return nil, fmt.Errorf("marking new blob: %w", err)
	}
	defer func() {
		if err != nil {
			s.sweepBlob(context.WithoutCancel(ctx), ing.streamed)
		}
	}()
	chunk := make([]byte, chunkSize)
	for done := false; !done; {
		var pending [][]byte
		for size := 0; size < streamTxnBytes; {
			n, rerr := io.ReadFull(r, chunk)
			if n > 0 {
				h.Write(chunk[:n])
				pending = append(pending, append([]byte(nil), chunk[:n]...))
				size += n
				ing.size += int64(n)
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				done = true
				break
			}
			if rerr != nil {
				return nil, fmt.Errorf("reading message: %w", rerr)
			}
		}
		if ing.size > s.maxSize {
			return nil, invalid(ErrTooLarge, "more than %d bytes", s.maxSize)
		}
		first := ing.chunks
		if err := s.update(ctx, func(txn *badger.Txn) error {
			for i, c := range pending {
				if err := txn.Set(keyChunk(ing.streamed, first+uint32(i)), c); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("writing message chunks: %w", err)
		}
		ing.chunks += uint32(len(pending))
	}
	copy(ing.hash[:], h.Sum(nil))
	rd, err := s.openBlob(ing.streamed, ing.size)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	if ing.structure, err = parseStructure(io.NewSectionReader(rd, 0, ing.size)); err != nil {
		return nil, err
	}
	return ing, nil
}

// checkSize enforces the configured maximum.
func (s *Store) checkSize(ing *ingested) error {
	if ing.size > s.maxSize {
		return invalid(ErrTooLarge, "%d bytes, at most %d", ing.size, s.maxSize)
	}
	return nil
}

// addBlobRef makes a message reference ing's bytes in txn: an existing blob
// with the same content gains a reference, otherwise ing becomes a blob. It
// reports whether ing's streamed chunks ended up unused (to sweep after commit).
func (s *Store) addBlobRef(txn *badger.Txn, ing *ingested) (BlobID, bool, error) {
	idv, err := getUint64(txn, keyHash(ing.hash), ErrMessageNotFound)
	switch {
	case err == nil:
		id := BlobID(idv)
		rec, err := getBlob(txn, id)
		if err != nil {
			return 0, false, err
		}
		rec.Refs++
		return id, ing.streamed != 0, txn.Set(keyBlob(id), rec.marshal())
	case !errors.Is(err, ErrMessageNotFound):
		return 0, false, err
	}
	id := ing.streamed
	rec := &blobRecord{Hash: ing.hash, Size: ing.size, Refs: 1, Chunks: ing.chunks}
	if id == 0 {
		v, err := s.nextID()
		if err != nil {
			return 0, false, err
		}
		id = BlobID(v)
		for off := 0; off < len(ing.data) || off == 0; off += chunkSize {
			end := min(off+chunkSize, len(ing.data))
			if err := txn.Set(keyChunk(id, rec.Chunks), ing.data[off:end]); err != nil {
				return 0, false, err
			}
			rec.Chunks++
			if end == len(ing.data) {
				break
			}
		}
	} else if err := txn.Delete(keyOrphanBlob(id)); err != nil {
		return 0, false, err
	}
	if err := txn.Set(keyBlob(id), rec.marshal()); err != nil {
		return 0, false, err
	}
	if err := putUint64(txn, keyHash(ing.hash), uint64(id)); err != nil {
		return 0, false, err
	}
	return id, false, txn.Set(keyStructure(id), ing.structure)
}

// smallBlobChunks is how many chunks releaseBlobRef deletes in the releasing
// transaction itself; larger blobs are marked and swept after the commit, to
// keep that transaction small.
const smallBlobChunks = 4

// releaseBlobRef drops one reference in txn. It returns the blob ID when the
// blob's chunks must be swept after the commit, else 0.
func releaseBlobRef(txn *badger.Txn, id BlobID) (BlobID, error) {
	rec, err := getBlob(txn, id)
	if err != nil {
		return 0, err
	}
	if rec.Refs > 1 {
		rec.Refs--
		return 0, txn.Set(keyBlob(id), rec.marshal())
	}
	for _, k := range [][]byte{keyBlob(id), keyHash(rec.Hash), keyStructure(id)} {
		if err := txn.Delete(k); err != nil {
			return 0, err
		}
	}
	if rec.Chunks <= smallBlobChunks {
		for i := uint32(0); i < rec.Chunks; i++ {
			if err := txn.Delete(keyChunk(id, i)); err != nil {
				return 0, err
			}
		}
		return 0, nil
	}
	return id, txn.Set(keyOrphanBlob(id), nil)
}

// sweepBlob deletes an orphan blob's chunks in bounded transactions, then its
// mark. Errors are logged: the next Open sweeps whatever is left.
func (s *Store) sweepBlob(ctx context.Context, id BlobID) {
	if err := s.deletePrefix(ctx, prefixChunks(id)); err != nil {
		s.log.Warn("sweeping blob", "blob", id, "err", err)
		return
	}
	if err := s.update(ctx, func(txn *badger.Txn) error { return txn.Delete(keyOrphanBlob(id)) }); err != nil {
		s.log.Warn("sweeping blob mark", "blob", id, "err", err)
	}
}

// sweepOrphans sweeps every orphan mark. Only Open calls it, when no writer
// can be streaming a new blob.
func (s *Store) sweepOrphans(ctx context.Context) error {
	var ids []BlobID
	err := s.view(ctx, func(txn *badger.Txn) error {
		return forEachKey(txn, []byte{tOrphanBlob}, func(k []byte) error {
			d, err := decodeKey(k)
			if err != nil {
				return err
			}
			ids = append(ids, d.Blob)
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.sweepBlob(ctx, id)
	}
	if len(ids) > 0 {
		s.log.Info("swept unreferenced message data left by an interrupted write", "blobs", len(ids))
	}
	return nil
}

// deleteBatch bounds the keys deleted in one transaction.
const deleteBatch = 1000

// deletePrefix deletes every key with prefix, in bounded transactions.
func (s *Store) deletePrefix(ctx context.Context, prefix []byte) error {
	for {
		var keys [][]byte
		err := s.view(ctx, func(txn *badger.Txn) error {
			return forEachKey(txn, prefix, func(k []byte) error {
				keys = append(keys, append([]byte(nil), k...))
				if len(keys) == deleteBatch {
					return errStop
				}
				return nil
			})
		})
		if err != nil && !errors.Is(err, errStop) {
			return err
		}
		if len(keys) == 0 {
			return nil
		}
		err = s.update(ctx, func(txn *badger.Txn) error {
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
}
