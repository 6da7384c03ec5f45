package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/ferrymail/ferrymail/store/structure"
)

// CheckConsistency recomputes from the records what the store keeps as
// counters and indexes, and returns every disagreement (joined), or nil.
// It checks, from one snapshot:
//   - account and mailbox name indexes agree with the records both ways;
//   - per mailbox: message count, unseen, deleted and size counters; every
//     UID below UIDNEXT; every MODSEQ (messages and tombstones) at most
//     HIGHESTMODSEQ; no tombstone for a UID a message holds; UIDVALIDITY set;
//     every keyword in the mailbox's registry;
//   - every message's size equal to its blob's;
//   - every message's UIDL valid and indexed to it, and every UIDL index
//     entry pointing to a message that has it;
//   - per blob: the reference count equals the messages pointing to it, the
//     chunks add up to its size and hash to its SHA-256, the content index
//     points back to it, and its structure record decodes;
//   - no chunk belongs to a blob that is neither recorded nor marked orphan;
//   - every mailbox loaded in the message index matches its records.
//
// It reads every message's bytes: meant for tests and `ferrymail verify`,
// not for a hot path.
func (s *Store) CheckConsistency(ctx context.Context) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	err := s.view(ctx, func(txn *badger.Txn) error {
		c := &checker{txn: txn, bad: bad, blobRefs: map[BlobID]uint32{}, mailboxes: map[MailboxID]AccountID{}}
		for _, step := range []func() error{c.accounts, c.mailboxes_, c.messages, c.uidls, c.blobs, c.chunks} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("checking consistency: %w", err)
	}
	// The in-memory message index must agree with the records (index.go).
	errs = append(errs, s.checkIndex(ctx)...)
	return errors.Join(errs...)
}

type checker struct {
	txn       *badger.Txn
	bad       func(string, ...any)
	accounts_ []AccountID
	mailboxes map[MailboxID]AccountID
	boxes     []*Mailbox
	blobRefs  map[BlobID]uint32
}

func (c *checker) accounts() error {
	err := forEach(c.txn, []byte{tAccountName}, func(k, v []byte) error {
		if len(v) != idSize {
			c.bad("account index %q: bad value", k[1:])
			return nil
		}
		rec, err := getAccount(c.txn, AccountID(decodeBE64(v)))
		if err != nil {
			c.bad("account index %q: %v", k[1:], err)
		} else if accountKey(rec.Name) != string(k[1:]) {
			c.bad("account index %q points to account named %q", k[1:], rec.Name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return forEach(c.txn, []byte{tAccount}, func(k, v []byte) error {
		d, err := decodeKey(k)
		if err != nil {
			return err
		}
		var rec accountRecord
		if err := rec.unmarshal(v); err != nil {
			c.bad("account %d: %v", d.Account, err)
			return nil
		}
		id, err := getUint64(c.txn, keyAccountName(accountKey(rec.Name)), ErrAccountNotFound)
		if err != nil || AccountID(id) != d.Account {
			c.bad("account %d (%q) is not in the name index", d.Account, rec.Name)
		}
		c.accounts_ = append(c.accounts_, d.Account)
		return nil
	})
}

func (c *checker) mailboxes_() error {
	for _, a := range c.accounts_ {
		rec, err := getAccount(c.txn, a)
		if err != nil {
			return err
		}
		names, err := mailboxNames(c.txn, a)
		if err != nil {
			return err
		}
		for name, id := range names {
			mb, err := getMailbox(c.txn, a, id)
			if err != nil {
				c.bad("account %d: mailbox index %q: %v", a, name, err)
				continue
			}
			if mb.Name != name {
				c.bad("account %d: mailbox index %q points to mailbox named %q", a, name, mb.Name)
			}
			if mb.UIDValidity == 0 {
				c.bad("mailbox %q: UIDVALIDITY 0", name)
			}
			if mb.UIDValidity > rec.LastUIDValidity {
				c.bad("mailbox %q: UIDVALIDITY %d above the account's last %d", name, mb.UIDValidity, rec.LastUIDValidity)
			}
			c.mailboxes[id] = a
			c.boxes = append(c.boxes, mb)
		}
		n := 0
		if err := forEachKey(c.txn, prefixMailboxes(a), func([]byte) error { n++; return nil }); err != nil {
			return err
		}
		if n != len(names) {
			c.bad("account %d: %d mailbox records but %d names", a, n, len(names))
		}
	}
	return nil
}

func (c *checker) messages() error {
	for _, mb := range c.boxes {
		var count, unseen, deleted uint32
		var size int64
		err := forEach(c.txn, prefixMessages(mb.ID), func(k, v []byte) error {
			d, err := decodeKey(k)
			if err != nil {
				return err
			}
			var msg Message
			if err := unmarshalMessage(v, d.UID, &msg); err != nil {
				c.bad("mailbox %q UID %d: %v", mb.Name, d.UID, err)
				return nil
			}
			count++
			size += msg.Size
			if !msg.HasFlag(FlagSeen) {
				unseen++
			}
			if msg.HasFlag(FlagDeleted) {
				deleted++
			}
			if msg.UID == 0 || msg.UID >= mb.UIDNext {
				c.bad("mailbox %q: UID %d not below UIDNEXT %d", mb.Name, msg.UID, mb.UIDNext)
			}
			if msg.ModSeq == 0 || msg.ModSeq > mb.HighestModSeq {
				c.bad("mailbox %q UID %d: MODSEQ %d outside 1..HIGHESTMODSEQ %d", mb.Name, msg.UID, msg.ModSeq, mb.HighestModSeq)
			}
			for _, f := range msg.Flags {
				if systemFlag(f) == 0 && indexFold(mb.Keywords, f) < 0 {
					c.bad("mailbox %q UID %d: keyword %q not in the mailbox registry", mb.Name, msg.UID, f)
				}
			}
			if err := ValidateUIDL(msg.UIDL); err != nil {
				c.bad("mailbox %q UID %d: %v", mb.Name, msg.UID, err)
			}
			v2, err := getValue(c.txn, keyUIDL(mb.Account, msg.UIDL), ErrMessageNotFound)
			if err != nil || !bytes.Equal(v2, be32(be64(nil, uint64(mb.ID)), uint32(msg.UID))) {
				c.bad("mailbox %q UID %d: UIDL %q not indexed to it", mb.Name, msg.UID, msg.UIDL)
			}
			if held, _ := exists(c.txn, keyTombstone(mb.ID, msg.UID)); held {
				c.bad("mailbox %q UID %d: held by a message and expunged", mb.Name, msg.UID)
			}
			c.blobRefs[msg.Blob]++
			if rec, err := getBlob(c.txn, msg.Blob); err == nil && rec.Size != msg.Size {
				c.bad("mailbox %q UID %d: size %d, its blob has %d bytes", mb.Name, msg.UID, msg.Size, rec.Size)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if count != mb.Messages || unseen != mb.Unseen || deleted != mb.Deleted || size != mb.Size {
			c.bad("mailbox %q: counters messages=%d unseen=%d deleted=%d size=%d, recomputed %d %d %d %d",
				mb.Name, mb.Messages, mb.Unseen, mb.Deleted, mb.Size, count, unseen, deleted, size)
		}
		err = forEach(c.txn, prefixTombstones(mb.ID), func(k, v []byte) error {
			d, err := decodeKey(k)
			if err != nil {
				return err
			}
			if d.UID >= mb.UIDNext {
				c.bad("mailbox %q: expunged UID %d not below UIDNEXT %d", mb.Name, d.UID, mb.UIDNext)
			}
			if len(v) != 8 || decodeBE64(v) > mb.HighestModSeq {
				c.bad("mailbox %q: tombstone of UID %d has MODSEQ above HIGHESTMODSEQ", mb.Name, d.UID)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Messages of mailboxes being purged still hold blob references.
	return forEach(c.txn, []byte{tDeadMailbox}, func(k, _ []byte) error {
		d, err := decodeKey(k)
		if err != nil {
			return err
		}
		return forEach(c.txn, prefixMessages(d.Mailbox), func(k, v []byte) error {
			var msg Message
			if err := unmarshalMessage(v, 0, &msg); err == nil {
				c.blobRefs[msg.Blob]++
			}
			return nil
		})
	})
}

func (c *checker) uidls() error {
	return forEach(c.txn, []byte{tUIDL}, func(k, v []byte) error {
		d, err := decodeKey(k)
		if err != nil {
			return err
		}
		if len(v) != idSize+uidSize {
			c.bad("UIDL %q: bad index value", d.Name)
			return nil
		}
		m, uid := MailboxID(decodeBE64(v)), UID(be32dec(v[idSize:]))
		if owner, ok := c.mailboxes[m]; !ok || owner != d.Account {
			if dead, _ := exists(c.txn, keyDeadMailbox(m)); !dead {
				c.bad("UIDL %q of account %d points to mailbox %d, not one of the account's", d.Name, d.Account, m)
			}
			return nil
		}
		msg, err := getMessage(c.txn, m, uid)
		if err != nil || msg.UIDL != d.Name {
			c.bad("UIDL %q points to mailbox %d UID %d, which does not carry it", d.Name, m, uid)
		}
		return nil
	})
}

func (c *checker) blobs() error {
	seen := map[BlobID]bool{}
	err := forEach(c.txn, []byte{tBlob}, func(k, v []byte) error {
		d, err := decodeKey(k)
		if err != nil {
			return err
		}
		seen[d.Blob] = true
		var rec blobRecord
		if err := rec.unmarshal(v); err != nil {
			c.bad("blob %d: %v", d.Blob, err)
			return nil
		}
		if got := c.blobRefs[d.Blob]; got != rec.Refs {
			c.bad("blob %d: %d references recorded, %d messages point to it", d.Blob, rec.Refs, got)
		}
		id, err := getUint64(c.txn, keyHash(rec.Hash), ErrMessageNotFound)
		if err != nil || BlobID(id) != d.Blob {
			c.bad("blob %d: content index does not point back to it", d.Blob)
		}
		c.checkBlobBytes(d.Blob, &rec)
		sv, err := getValue(c.txn, keyStructure(d.Blob), ErrMessageNotFound)
		var st structure.Message
		if err != nil || st.UnmarshalBinary(sv) != nil {
			c.bad("blob %d: structure missing or undecodable", d.Blob)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for id := range c.blobRefs {
		if !seen[id] {
			c.bad("blob %d is referenced by messages but missing", id)
		}
	}
	return nil
}

func (c *checker) checkBlobBytes(id BlobID, rec *blobRecord) {
	h := sha256.New()
	var size int64
	var chunks uint32
	err := forEach(c.txn, prefixChunks(id), func(k, v []byte) error {
		d, err := decodeKey(k)
		if err != nil {
			return err
		}
		if d.Chunk != chunks {
			return fmt.Errorf("chunk %d where %d was expected", d.Chunk, chunks)
		}
		h.Write(v)
		size += int64(len(v))
		chunks++
		return nil
	})
	if err != nil {
		c.bad("blob %d: %v", id, err)
		return
	}
	if size != rec.Size || chunks != rec.Chunks || !bytes.Equal(h.Sum(nil), rec.Hash[:]) {
		c.bad("blob %d: %d bytes in %d chunks, recorded %d in %d; hash matches: %v",
			id, size, chunks, rec.Size, rec.Chunks, bytes.Equal(h.Sum(nil), rec.Hash[:]))
	}
}

func (c *checker) chunks() error {
	last := BlobID(0)
	return forEachKey(c.txn, []byte{tChunk}, func(k []byte) error {
		d, err := decodeKey(k)
		if err != nil {
			return err
		}
		if d.Blob == last {
			return nil
		}
		last = d.Blob
		recorded, err := exists(c.txn, keyBlob(d.Blob))
		if err != nil {
			return err
		}
		orphan, err := exists(c.txn, keyOrphanBlob(d.Blob))
		if err != nil {
			return err
		}
		if !recorded && !orphan {
			c.bad("chunks of blob %d belong to no blob and are not marked for sweeping", d.Blob)
		}
		return nil
	})
}
