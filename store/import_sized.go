package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// ImportMessages is Import, except that every stored message's Size (its
// RFC822.SIZE and POP3 LIST size) is the size of its stored bytes. Import
// itself leaves Message.Size at 0: validateImport builds the Message
// without it and insertMessage does not set it (Append sets it from
// ingested.size). The importer calls ImportMessages; once Import sets the
// size (one line: "msg.Size = ings[i].size" before insertMessage), this
// function can go and its callers call Import.
func (s *Store) ImportMessages(ctx context.Context, a AccountID, m MailboxID, msgs []ImportMessage, opts ImportOptions) ([]ImportResult, error) {
	ings := make([]*ingested, len(msgs))
	drop := func() {
		for _, ing := range ings {
			if ing != nil {
				s.dropIngested(ctx, ing)
			}
		}
	}
	for i := range msgs {
		if msgs[i].Body == nil {
			drop()
			return nil, fmt.Errorf("importing UID %d: no body", msgs[i].UID)
		}
		ing, err := s.ingest(ctx, msgs[i].Body)
		if err == nil {
			err = s.checkSize(ing)
		}
		if err != nil {
			if ing != nil {
				s.dropIngested(ctx, ing)
			}
			drop()
			return nil, fmt.Errorf("importing UID %d: %w", msgs[i].UID, err)
		}
		ings[i] = ing
	}
	unlock := s.lockAccount(a)
	defer unlock()
	results := make([]ImportResult, len(msgs))
	flags := make([]parsedFlags, len(msgs))
	err := s.view(ctx, func(txn *badger.Txn) error {
		return s.validateImport(txn, a, m, msgs, opts, results, flags)
	})
	if err != nil {
		drop()
		return nil, err
	}
	for start := 0; start < len(msgs); {
		end, size := start, int64(0)
		for end < len(msgs) && end-start < importBatchCount && (end == start || size < importBatchBytes) {
			size += ings[end].size
			end++
		}
		var changes []Change
		var sweeps []BlobID
		err := s.update(ctx, func(txn *badger.Txn) error {
			changes, sweeps = changes[:0], sweeps[:0]
			mb, err := getMailbox(txn, a, m)
			if err != nil {
				return err
			}
			for i := start; i < end; i++ {
				if results[i].Skipped {
					continue
				}
				msg := results[i].Message
				msg.Size = ings[i].size // what Import leaves at 0
				sweep, err := s.insertMessage(txn, mb, &msg, flags[i], ings[i], msgs[i].SourceKey)
				if err != nil {
					return fmt.Errorf("importing UID %d: %w", msg.UID, err)
				}
				if sweep != 0 {
					sweeps = append(sweeps, sweep)
				}
				results[i].Message = msg
				changes = append(changes, MessageAdded{Account: a, Mailbox: m, Message: msg})
			}
			return putMailbox(txn, mb)
		})
		if err != nil {
			for _, ing := range ings[start:] {
				s.dropIngested(ctx, ing)
			}
			return results[:start], err
		}
		s.hub.publish(a, changes)
		for i := start; i < end; i++ {
			if results[i].Skipped {
				s.dropIngested(ctx, ings[i])
			}
		}
		for _, id := range sweeps {
			s.sweepBlob(ctx, id)
		}
		start = end
	}
	return results, nil
}
