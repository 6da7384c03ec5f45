package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// purgeDeadMailboxes removes the messages, tombstones and source keys of
// deleted mailboxes ('X' marks) in bounded transactions, then the marks.
// A mailbox's messages may be too many for one transaction; the mark makes
// the purge resumable across a crash (Open calls this too).
func (s *Store) purgeDeadMailboxes(ctx context.Context) error {
	s.purgeMu.Lock()
	defer s.purgeMu.Unlock()
	type dead struct {
		acct AccountID
		mbox MailboxID
	}
	var todo []dead
	err := s.view(ctx, func(txn *badger.Txn) error {
		return forEach(txn, []byte{tDeadMailbox}, func(k, v []byte) error {
			d, err := decodeKey(k)
			if err != nil {
				return err
			}
			if len(v) != idSize {
				return fmt.Errorf("dead mailbox %d: bad value", d.Mailbox)
			}
			todo = append(todo, dead{AccountID(decodeBE64(v)), d.Mailbox})
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, d := range todo {
		if err := s.purgeMessages(ctx, d.acct, d.mbox); err != nil {
			return fmt.Errorf("purging mailbox %d: %w", d.mbox, err)
		}
		for _, p := range [][]byte{prefixTombstones(d.mbox), prefixSourceKeys(d.mbox)} {
			if err := s.deletePrefix(ctx, p); err != nil {
				return err
			}
		}
		if err := s.update(ctx, func(txn *badger.Txn) error { return txn.Delete(keyDeadMailbox(d.mbox)) }); err != nil {
			return err
		}
	}
	return nil
}

// purgeMessages deletes a dead mailbox's messages with their UIDL entries and
// blob references, deleteBatch at a time.
func (s *Store) purgeMessages(ctx context.Context, a AccountID, m MailboxID) error {
	for {
		var sweeps []BlobID
		n := 0
		err := s.update(ctx, func(txn *badger.Txn) error {
			sweeps, n = sweeps[:0], 0
			var msgs []Message
			err := forEach(txn, prefixMessages(m), func(k, v []byte) error {
				d, err := decodeKey(k)
				if err != nil {
					return err
				}
				var msg Message
				if err := unmarshalMessage(v, d.UID, &msg); err != nil {
					return err
				}
				msgs = append(msgs, msg)
				if len(msgs) == deleteBatch {
					return errStop
				}
				return nil
			})
			if err != nil && !errors.Is(err, errStop) {
				return err
			}
			for _, msg := range msgs {
				if err := txn.Delete(keyMessage(m, msg.UID)); err != nil {
					return err
				}
				if err := deleteUIDLIfOurs(txn, a, m, msg); err != nil {
					return err
				}
				sweep, err := releaseBlobRef(txn, msg.Blob)
				if err != nil {
					return err
				}
				if sweep != 0 {
					sweeps = append(sweeps, sweep)
				}
			}
			n = len(msgs)
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range sweeps {
			s.sweepBlob(ctx, id)
		}
		if n == 0 {
			return nil
		}
	}
}

// deleteUIDLIfOurs deletes a UIDL index entry only if it still points to this
// message (the account may have been deleted and its name reused meanwhile;
// account IDs are never reused, so it cannot point elsewhere, but be safe).
func deleteUIDLIfOurs(txn *badger.Txn, a AccountID, m MailboxID, msg Message) error {
	v, err := getValue(txn, keyUIDL(a, msg.UIDL), ErrMessageNotFound)
	if errors.Is(err, ErrMessageNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(v) == idSize+uidSize && MailboxID(decodeBE64(v)) == m && UID(be32dec(v[idSize:])) == msg.UID {
		return txn.Delete(keyUIDL(a, msg.UIDL))
	}
	return nil
}
