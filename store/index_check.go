package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// checkIndex compares every loaded mailbox index with the message records in
// badger, and returns each disagreement. Each mailbox is compared under its
// account lock, so no write is half-applied while it is read.
func (s *Store) checkIndex(ctx context.Context) []error {
	s.hub.index.mu.Lock()
	boxes := make(map[MailboxID]*boxIndex, len(s.hub.index.boxes))
	for m, b := range s.hub.index.boxes {
		boxes[m] = b
	}
	s.hub.index.mu.Unlock()
	var errs []error
	for m, b := range boxes {
		if err := s.checkBoxIndex(ctx, m, b); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (s *Store) checkBoxIndex(ctx context.Context, m MailboxID, b *boxIndex) error {
	defer s.lockAccount(b.account)()
	if s.hub.index.loaded(m) != b {
		return nil // dropped (mailbox deleted) or reloaded meanwhile
	}
	got := b.summaries()
	var errs []error
	i := 0
	err := s.view(ctx, func(txn *badger.Txn) error {
		if _, err := getMailbox(txn, b.account, m); err != nil {
			errs = append(errs, fmt.Errorf("index holds mailbox %d, badger: %w", m, err))
			return nil
		}
		return forEachMessage(txn, m, func(msg *Message) error {
			if i >= len(got) {
				errs = append(errs, fmt.Errorf("mailbox %d: UID %d in badger, not in the index", m, msg.UID))
				return nil
			}
			e := got[i]
			i++
			if e.UID != msg.UID || e.ModSeq != msg.ModSeq || !slices.Equal(e.Flags, msg.Flags) ||
				!e.InternalDate.Equal(msg.InternalDate) || e.Size != msg.Size {
				errs = append(errs, fmt.Errorf("mailbox %d: index has UID %d MODSEQ %d flags %q date %s size %d, badger UID %d MODSEQ %d flags %q date %s size %d",
					m, e.UID, e.ModSeq, e.Flags, e.InternalDate, e.Size, msg.UID, msg.ModSeq, msg.Flags, msg.InternalDate, msg.Size))
				return errStop
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	if i < len(got) && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("mailbox %d: the index holds %d messages, badger %d", m, len(got), i))
	}
	return errors.Join(errs...)
}
