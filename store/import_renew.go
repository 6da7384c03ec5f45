package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// RenewUIDValidity gives mailbox m a new UIDVALIDITY, greater than its
// current one and than any the account gave out. Messages keep their UIDs
// and UIDLs, and UIDNEXT stays; under the new value clients discard what
// they cached for the mailbox and fetch it again (RFC 9051 §2.3.1.1: "If
// unique identifiers from an earlier session fail to persist in this
// session, the unique identifier validity value MUST be greater than the
// one used in the earlier session").
//
// The importer needs it when a source's UIDs collide with messages that
// reached the target meanwhile under the same UIDVALIDITY: the old server's
// clients have those UIDs cached for other messages, so only a new
// UIDVALIDITY keeps them from showing the wrong mail. Every UID below
// UIDNEXT then counts as assigned by this store (no import fills below it).
//
// It publishes UIDValidityChanged, on which an IMAP session with the
// mailbox selected ends (it cannot tell its client the new value mid-
// session), so it is safe while the server runs: an import through the
// admin socket may renumber.
func (s *Store) RenewUIDValidity(ctx context.Context, a AccountID, m MailboxID) (Mailbox, error) {
	defer s.lockAccount(a)()
	var result Mailbox
	err := s.update(ctx, func(txn *badger.Txn) error {
		rec, err := getAccount(txn, a)
		if err != nil {
			return err
		}
		mb, err := getMailbox(txn, a, m)
		if err != nil {
			return err
		}
		v, err := newUIDValidity(rec, mb.UIDValidity)
		if err != nil {
			return err
		}
		mb.UIDValidity = v
		rec.LastUIDValidity = max(rec.LastUIDValidity, v)
		mb.importFloor = mb.UIDNext
		if err := putMailbox(txn, mb); err != nil {
			return err
		}
		result = *mb
		return putAccount(txn, a, rec)
	})
	if err != nil {
		return Mailbox{}, fmt.Errorf("renewing the UIDVALIDITY of mailbox %d: %w", m, err)
	}
	s.hub.publish(a, []Change{UIDValidityChanged{Account: a, Mailbox: m, UIDValidity: result.UIDValidity}})
	return result, nil
}
