package store

import (
	"context"
	"errors"

	"github.com/dgraph-io/badger/v4"
)

// StoreFlagsOptions qualify a flag change.
type StoreFlagsOptions struct {
	// UnchangedSince, when non-zero, leaves alone every message whose MODSEQ
	// is above it and reports it in Modified (RFC 7162 §3.1.3).
	UnchangedSince uint64
}

// FlagsResult is the outcome of StoreFlags.
type FlagsResult struct {
	Updated  []FlagsChanged // messages whose flags changed, ascending UID
	Current  []Message      // every message found, with its flags after the change
	Modified []UID          // refused by UnchangedSince
}

// StoreFlags changes the flags of the messages with the given UIDs (those
// that exist; others are ignored, as RFC 9051 §6.4.6 and §6.4.9 expect for
// expunged messages). All changed messages share one new MODSEQ.
func (s *Store) StoreFlags(ctx context.Context, a AccountID, m MailboxID, uids []UID, op FlagOp, flags []string, opts StoreFlagsOptions) (FlagsResult, error) {
	p, err := parseFlags(flags)
	if err != nil {
		return FlagsResult{}, err
	}
	uids = sortedUnique(uids)
	defer s.lockAccount(a)()
	var res FlagsResult
	for start := 0; start < len(uids) || start == 0; start += deleteBatch {
		part := uids[start:min(start+deleteBatch, len(uids))]
		var batch FlagsResult
		err := s.update(ctx, func(txn *badger.Txn) error {
			batch = FlagsResult{}
			mb, err := getMailbox(txn, a, m)
			if err != nil {
				return err
			}
			kw := p.keywords
			if op != FlagsRemove {
				if kw, _, err = canonicalKeywords(&mb.Keywords, p.keywords); err != nil {
					return err
				}
			}
			modseq := mb.HighestModSeq + 1
			for _, uid := range part {
				msg, err := getMessage(txn, m, uid)
				if errors.Is(err, ErrMessageNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				if opts.UnchangedSince != 0 && msg.ModSeq > opts.UnchangedSince {
					batch.Modified = append(batch.Modified, uid)
					batch.Current = append(batch.Current, *msg)
					continue
				}
				newFlags := applyFlags(msg.Flags, op, p.sys, kw)
				if !sameFlags(newFlags, msg.Flags) {
					mb.countOut(msg)
					msg.Flags, msg.ModSeq = newFlags, modseq
					mb.countIn(msg)
					if err := txn.Set(keyMessage(m, uid), marshalMessage(msg)); err != nil {
						return err
					}
					batch.Updated = append(batch.Updated, FlagsChanged{Account: a, Mailbox: m, UID: uid, ModSeq: modseq, Flags: newFlags})
				}
				batch.Current = append(batch.Current, *msg)
			}
			if len(batch.Updated) > 0 {
				mb.HighestModSeq = modseq
			}
			return putMailbox(txn, mb)
		})
		if err != nil {
			return res, err
		}
		changes := make([]Change, len(batch.Updated))
		for i, c := range batch.Updated {
			changes[i] = c
		}
		s.hub.publish(a, changes)
		res.Updated = append(res.Updated, batch.Updated...)
		res.Current = append(res.Current, batch.Current...)
		res.Modified = append(res.Modified, batch.Modified...)
		if len(uids) == 0 {
			break
		}
	}
	return res, nil
}
