package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Giving messages already stored the POP3 identity a legacy server gave
// them. A migration that copied INBOX over IMAP gives every message a UIDL
// from the template; the legacy server's POP3 view knew the same messages
// under other UIDLs, which POP3 clients have cached. The importer matches
// the two views (importer/uidlmatch) and sets the legacy UIDLs here.
//
// The invariants kept (DESIGN.md, RFC 1939 §7): a UIDL is 1–70 characters
// in 0x21–0x7E and unique within the account's POP3 view, and the 'U' index
// maps each UIDL to the one message that carries it. UIDLs are not part of
// IMAP, so no MODSEQ changes and no change event is published; a POP3
// session already open keeps the listing it took at login (RFC 1939 §7
// lets a UIDL change only between sessions), the next one sees the new
// UIDLs.

// UIDLAssignment sets one message's UIDL and POP3 order.
type UIDLAssignment struct {
	UID       UID
	UIDL      string
	POP3Order uint32 // position in the legacy POP3 listing; 0 keeps the current one
	// SourceKey, when not "", is recorded in the import dedupe index as if
	// the message had been imported from that source (ImportMessage.
	// SourceKey), so that a later import from the same source (the delta
	// of a cut-over) skips it instead of bringing it in twice.
	SourceKey string
}

// setUIDLBatch bounds one transaction: each assignment writes at most four
// keys, far below badger's transaction limit at this count.
const setUIDLBatch = 2000

// SetUIDLs gives messages of mailbox m the UIDLs and POP3 order of set. The
// whole set is checked first, under the account lock, and nothing is
// written if one assignment would break an invariant: an invalid UIDL, a
// UID given twice or not in the mailbox, a UIDL given twice, or a UIDL held
// by a message outside the set (ErrUIDLExists). A UIDL held by another
// message of the set (two messages trade UIDLs) is allowed when the set fits
// in one transaction. Assignments that change nothing are left out; the
// count of changed messages is returned, so running the same set again
// changes nothing and returns 0.
func (s *Store) SetUIDLs(ctx context.Context, a AccountID, m MailboxID, set []UIDLAssignment) (int, error) {
	defer s.lockAccount(a)()
	var todo []UIDLAssignment
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		todo, err = checkUIDLSet(txn, a, m, set)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("setting UIDLs: %w", err)
	}
	for start := 0; start < len(todo); start += setUIDLBatch {
		batch := todo[start:min(start+setUIDLBatch, len(todo))]
		if err := s.update(ctx, func(txn *badger.Txn) error { return writeUIDLSet(txn, a, m, batch) }); err != nil {
			return start, fmt.Errorf("setting UIDLs: %w", err)
		}
	}
	return len(todo), nil
}

// checkUIDLSet validates set against the store and returns the assignments
// that change something.
func checkUIDLSet(txn *badger.Txn, a AccountID, m MailboxID, set []UIDLAssignment) ([]UIDLAssignment, error) {
	if _, err := getMailbox(txn, a, m); err != nil {
		return nil, err
	}
	byUIDL := make(map[string]UID, len(set))
	inSet := make(map[UID]bool, len(set))
	for _, as := range set {
		if err := ValidateUIDL(as.UIDL); err != nil {
			return nil, fmt.Errorf("UID %d: %w", as.UID, err)
		}
		if inSet[as.UID] {
			return nil, invalid(ErrUIDReuse, "UID %d given twice", as.UID)
		}
		inSet[as.UID] = true
		if other, dup := byUIDL[as.UIDL]; dup {
			return nil, invalid(ErrUIDLExists, "UIDL %q given to UID %d and UID %d", as.UIDL, other, as.UID)
		}
		byUIDL[as.UIDL] = as.UID
	}
	var todo []UIDLAssignment
	trades := false
	for _, as := range set {
		msg, err := getMessage(txn, m, as.UID)
		if err != nil {
			return nil, fmt.Errorf("UID %d: %w", as.UID, err)
		}
		v, err := getValue(txn, keyUIDL(a, as.UIDL), ErrMessageNotFound)
		switch {
		case err == nil && len(v) == idSize+uidSize:
			holderBox, holder := MailboxID(decodeBE64(v)), UID(be32dec(v[idSize:]))
			if holderBox == m && holder == as.UID {
				break // already this message's
			}
			if holderBox != m || !inSet[holder] {
				return nil, invalid(ErrUIDLExists, "UIDL %q for UID %d is held by another message of the account (mailbox %d UID %d)",
					as.UIDL, as.UID, holderBox, holder)
			}
			trades = true
		case err == nil:
			return nil, fmt.Errorf("UIDL index %q: bad value", as.UIDL)
		case !errors.Is(err, ErrMessageNotFound):
			return nil, err
		}
		keyDone := true
		if as.SourceKey != "" {
			sk, err := getValue(txn, keySourceKey(m, as.SourceKey), ErrMessageNotFound)
			keyDone = err == nil && len(sk) == uidSize && UID(be32dec(sk)) == as.UID
			if err != nil && !errors.Is(err, ErrMessageNotFound) {
				return nil, err
			}
		}
		if msg.UIDL == as.UIDL && (as.POP3Order == 0 || msg.POP3Order == as.POP3Order) && keyDone {
			continue
		}
		todo = append(todo, as)
	}
	if trades && len(todo) > setUIDLBatch {
		return nil, invalid(ErrUIDLExists, "messages trade UIDLs among %d changes, more than one transaction holds (%d)", len(todo), setUIDLBatch)
	}
	return todo, nil
}

// writeUIDLSet applies checked assignments: first every old UIDL leaves
// the index, then the new ones enter it, so that messages trading UIDLs
// never meet their own old entries.
func writeUIDLSet(txn *badger.Txn, a AccountID, m MailboxID, batch []UIDLAssignment) error {
	msgs := make([]*Message, len(batch))
	for i, as := range batch {
		msg, err := getMessage(txn, m, as.UID)
		if err != nil {
			return err
		}
		msgs[i] = msg
		if msg.UIDL != as.UIDL {
			if err := txn.Delete(keyUIDL(a, msg.UIDL)); err != nil {
				return err
			}
		}
	}
	for i, as := range batch {
		msg := msgs[i]
		if msg.UIDL != as.UIDL {
			// Badger reads a transaction's own writes: a UIDL still
			// present now belongs to a message outside the batch.
			if used, err := exists(txn, keyUIDL(a, as.UIDL)); err != nil {
				return err
			} else if used {
				return invalid(ErrUIDLExists, "UIDL %q is already used in this account", as.UIDL)
			}
			msg.UIDL = as.UIDL
		}
		if as.POP3Order != 0 {
			msg.POP3Order = as.POP3Order
		}
		if err := txn.Set(keyMessage(m, msg.UID), marshalMessage(msg)); err != nil {
			return err
		}
		if err := txn.Set(keyUIDL(a, msg.UIDL), be32(be64(nil, uint64(m)), uint32(msg.UID))); err != nil {
			return err
		}
		if as.SourceKey != "" {
			if err := txn.Set(keySourceKey(m, as.SourceKey), be32(nil, uint32(msg.UID))); err != nil {
				return err
			}
		}
	}
	return nil
}
