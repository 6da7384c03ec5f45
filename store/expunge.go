package store

import (
	"context"
	"errors"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// Expunge removes the messages with the given UIDs (those that exist) and
// records a tombstone (UID, MODSEQ) for each, so that the UID is never
// reused and CONDSTORE/QRESYNC (RFC 7162 §3.2.10) can report it later. It
// returns the expunged UIDs, ascending.
func (s *Store) Expunge(ctx context.Context, a AccountID, m MailboxID, uids []UID) ([]UID, error) {
	return s.expunge(ctx, a, m, sortedUnique(uids), nil)
}

// ExpungeDeleted removes the messages flagged \Deleted (RFC 9051 §6.4.3),
// limited to uids when it is not nil (UID EXPUNGE, RFC 4315 §2.1).
func (s *Store) ExpungeDeleted(ctx context.Context, a AccountID, m MailboxID, uids []UID) ([]UID, error) {
	if uids == nil {
		// From the in-memory index; expunge checks each flag again in badger.
		msgs, err := s.MessageSummaries(ctx, a, m)
		if err != nil {
			return nil, err
		}
		for _, msg := range msgs {
			if containsFold(msg.Flags, FlagDeleted) {
				uids = append(uids, msg.UID)
			}
		}
	}
	return s.expunge(ctx, a, m, sortedUnique(uids), func(msg *Message) bool { return msg.HasFlag(FlagDeleted) })
}

func (s *Store) expunge(ctx context.Context, a AccountID, m MailboxID, uids []UID, want func(*Message) bool) ([]UID, error) {
	defer s.lockAccount(a)()
	var all []UID
	for start := 0; start < len(uids); start += deleteBatch {
		part := uids[start:min(start+deleteBatch, len(uids))]
		var gone []UID
		var modseq uint64
		var sweeps []BlobID
		err := s.update(ctx, func(txn *badger.Txn) error {
			gone, sweeps = gone[:0], sweeps[:0]
			mb, err := getMailbox(txn, a, m)
			if err != nil {
				return err
			}
			modseq = mb.HighestModSeq + 1
			for _, uid := range part {
				msg, err := getMessage(txn, m, uid)
				if errors.Is(err, ErrMessageNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				if want != nil && !want(msg) {
					continue
				}
				sweep, err := removeMessage(txn, mb, msg, modseq)
				if err != nil {
					return err
				}
				if sweep != 0 {
					sweeps = append(sweeps, sweep)
				}
				gone = append(gone, uid)
			}
			if len(gone) == 0 {
				return nil
			}
			mb.HighestModSeq = modseq
			return putMailbox(txn, mb)
		})
		if err != nil {
			return all, err
		}
		if len(gone) > 0 {
			s.hub.publish(a, []Change{MessagesExpunged{Account: a, Mailbox: m, UIDs: slices.Clone(gone), ModSeq: modseq}})
		}
		for _, id := range sweeps {
			s.sweepBlob(ctx, id)
		}
		all = append(all, gone...)
	}
	return all, nil
}

// removeMessage deletes a message and its UIDL index entry, writes its
// tombstone and releases its blob, in txn. The source-key index entry stays,
// so that a re-run import does not bring back what the user deleted.
func removeMessage(txn *badger.Txn, mb *Mailbox, msg *Message, modseq uint64) (BlobID, error) {
	if err := txn.Delete(keyMessage(mb.ID, msg.UID)); err != nil {
		return 0, err
	}
	if err := txn.Delete(keyUIDL(mb.Account, msg.UIDL)); err != nil {
		return 0, err
	}
	if err := putUint64(txn, keyTombstone(mb.ID, msg.UID), modseq); err != nil {
		return 0, err
	}
	mb.countOut(msg)
	return releaseBlobRef(txn, msg.Blob)
}

// sortedUnique returns uids sorted ascending without duplicates.
func sortedUnique(uids []UID) []UID {
	out := slices.Clone(uids)
	slices.Sort(out)
	return slices.Compact(out)
}
