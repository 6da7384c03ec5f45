package store

import (
	"context"
	"errors"
	"math"

	"github.com/dgraph-io/badger/v4"
)

// UIDPair maps a source UID to the UID its copy got (COPYUID, RFC 4315 §3).
type UIDPair struct{ Src, Dst UID }

// CopyResult is the outcome of Copy and Move.
type CopyResult struct {
	DstUIDValidity uint32
	Pairs          []UIDPair
}

// Copy copies messages (RFC 9051 §6.4.7): each copy gets a new UID in the
// destination, a new UIDL, the same flags, INTERNALDATE and bytes (the blob
// is shared, not duplicated).
func (s *Store) Copy(ctx context.Context, a AccountID, src, dst MailboxID, uids []UID) (CopyResult, error) {
	return s.copyMessages(ctx, a, src, dst, sortedUnique(uids), false)
}

// Move moves messages (RFC 6851): copy and expunge in one transaction per
// batch, so no state has the message in both mailboxes or in neither.
func (s *Store) Move(ctx context.Context, a AccountID, src, dst MailboxID, uids []UID) (CopyResult, error) {
	return s.copyMessages(ctx, a, src, dst, sortedUnique(uids), true)
}

func (s *Store) copyMessages(ctx context.Context, a AccountID, src, dst MailboxID, uids []UID, move bool) (CopyResult, error) {
	defer s.lockAccount(a)()
	var res CopyResult
	for start := 0; start < len(uids) || start == 0; start += deleteBatch {
		part := uids[start:min(start+deleteBatch, len(uids))]
		var pairs []UIDPair
		var changes []Change
		var sweeps []BlobID
		err := s.update(ctx, func(txn *badger.Txn) error {
			pairs, changes, sweeps = pairs[:0], changes[:0], sweeps[:0]
			from, err := getMailbox(txn, a, src)
			if err != nil {
				return err
			}
			to, err := getMailbox(txn, a, dst)
			if err != nil {
				return err
			}
			if src == dst {
				to = from
			}
			res.DstUIDValidity = to.UIDValidity
			var moved []*Message
			for _, uid := range part {
				msg, err := getMessage(txn, src, uid)
				if errors.Is(err, ErrMessageNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				if uint32(to.UIDNext) == math.MaxUint32 {
					return invalid(ErrUIDSpaceExhausted, "mailbox %q", to.Name)
				}
				cp := Message{UID: to.UIDNext, InternalDate: msg.InternalDate, Size: msg.Size, Blob: msg.Blob}
				cp.UIDL, err = uniqueUIDL(s.template.Render(cp.UID, to.UIDValidity, to.ID), to.ID,
					func(u string) (bool, error) { return exists(txn, keyUIDL(a, u)) })
				if err != nil {
					return err
				}
				if err := s.insertCopy(txn, to, &cp, msg.Flags); err != nil {
					return err
				}
				pairs = append(pairs, UIDPair{Src: uid, Dst: cp.UID})
				changes = append(changes, MessageAdded{Account: a, Mailbox: dst, Message: cp})
				if move {
					moved = append(moved, msg)
				}
			}
			if len(moved) > 0 {
				// One MODSEQ for the expunge half, above those of the copies
				// (which may be in the same mailbox).
				modseq := from.HighestModSeq + 1
				gone := make([]UID, 0, len(moved))
				for _, msg := range moved {
					sweep, err := removeMessage(txn, from, msg, modseq)
					if err != nil {
						return err
					}
					if sweep != 0 {
						sweeps = append(sweeps, sweep)
					}
					gone = append(gone, msg.UID)
				}
				from.HighestModSeq = modseq
				changes = append(changes, MessagesExpunged{Account: a, Mailbox: src, UIDs: gone, ModSeq: modseq})
			}
			if src != dst {
				if err := putMailbox(txn, from); err != nil {
					return err
				}
			}
			return putMailbox(txn, to)
		})
		if err != nil {
			return res, err
		}
		s.hub.publish(a, changes)
		for _, id := range sweeps {
			s.sweepBlob(ctx, id)
		}
		res.Pairs = append(res.Pairs, pairs...)
		if len(uids) == 0 {
			break
		}
	}
	return res, nil
}

// insertCopy writes a copy of a message that shares its blob.
func (s *Store) insertCopy(txn *badger.Txn, to *Mailbox, cp *Message, flags []string) error {
	rec, err := getBlob(txn, cp.Blob)
	if err != nil {
		return err
	}
	rec.Refs++
	if err := txn.Set(keyBlob(cp.Blob), rec.marshal()); err != nil {
		return err
	}
	sys, kw := splitFlags(flags)
	if kw, _, err = canonicalKeywords(&to.Keywords, kw); err != nil {
		return err
	}
	cp.Flags = joinFlags(sys, kw)
	to.HighestModSeq++
	cp.ModSeq = to.HighestModSeq
	if err := txn.Set(keyMessage(to.ID, cp.UID), marshalMessage(cp)); err != nil {
		return err
	}
	if err := txn.Set(keyUIDL(to.Account, cp.UIDL), be32(be64(nil, uint64(to.ID)), uint32(cp.UID))); err != nil {
		return err
	}
	to.UIDNext = cp.UID + 1
	to.importFloor = to.UIDNext
	to.countIn(cp)
	return nil
}
