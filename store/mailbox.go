package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func decodeBE64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// mailboxSpec is what insertMailbox needs beyond the name.
type mailboxSpec struct {
	specialUse  string
	subscribed  bool
	uidValidity uint32 // 0: allocate a new one
	uidNext     UID    // 0: 1
}

// newUIDValidity allocates a UIDVALIDITY for a new mailbox: larger than any
// the account has used (RFC 9051 §2.3.1.1: a re-created name MUST get a
// greater value) and, when the clock allows, the current time, as Dovecot
// does, so that values stay unique across accounts restored from backups.
func newUIDValidity(rec *accountRecord, deletedBefore uint32) (uint32, error) {
	last := max(rec.LastUIDValidity, deletedBefore)
	if last == math.MaxUint32 {
		return 0, invalid(ErrUIDValidityConflict, "UIDVALIDITY space exhausted")
	}
	v := last + 1
	if now := time.Now().Unix(); now > int64(v) && now <= math.MaxUint32 {
		v = uint32(now)
	}
	return v, nil
}

// insertMailbox creates one mailbox (and none of its parents) in txn. rec is
// the account record, updated in memory; the caller writes it back.
func (s *Store) insertMailbox(txn *badger.Txn, a AccountID, rec *accountRecord, name string, spec mailboxSpec) (*Mailbox, error) {
	if err := validSpecialUse(spec.specialUse); err != nil {
		return nil, err
	}
	taken, err := exists(txn, keyMailboxName(a, name))
	if err != nil {
		return nil, err
	}
	if taken {
		return nil, invalid(ErrMailboxExists, "%q", name)
	}
	var deletedBefore uint32
	if v, err := getValue(txn, keyDeletedName(a, name), ErrMailboxNotFound); err == nil && len(v) == 4 {
		deletedBefore = binary.BigEndian.Uint32(v)
	} else if err != nil && !errors.Is(err, ErrMailboxNotFound) {
		return nil, err
	}
	uv := spec.uidValidity
	if uv == 0 {
		if uv, err = newUIDValidity(rec, deletedBefore); err != nil {
			return nil, err
		}
	} else if uv <= deletedBefore {
		return nil, invalid(ErrUIDValidityConflict,
			"mailbox %q: UIDVALIDITY %d is not above %d, which a deleted mailbox of that name had", name, uv, deletedBefore)
	}
	rec.LastUIDValidity = max(rec.LastUIDValidity, uv)
	id, err := s.nextID()
	if err != nil {
		return nil, err
	}
	mb := &Mailbox{
		ID: MailboxID(id), Account: a, Name: name,
		UIDValidity: uv, UIDNext: max(spec.uidNext, 1), HighestModSeq: 1,
		Subscribed: spec.subscribed, SpecialUse: spec.specialUse,
	}
	if err := txn.Set(keyMailboxName(a, name), be64(nil, id)); err != nil {
		return nil, err
	}
	return mb, putMailbox(txn, mb)
}

// createParents creates the missing ancestors of name in txn (RFC 9051
// §6.3.4: "the server SHOULD create any superior hierarchical names that are
// needed") and appends their MailboxCreated events to changes.
func (s *Store) createParents(txn *badger.Txn, a AccountID, rec *accountRecord, name string, subscribed bool, changes []Change) ([]Change, error) {
	for _, parent := range parentNames(name) {
		ok, err := exists(txn, keyMailboxName(a, parent))
		if err != nil {
			return changes, err
		}
		if ok {
			continue
		}
		mb, err := s.insertMailbox(txn, a, rec, parent, mailboxSpec{subscribed: subscribed})
		if err != nil {
			return changes, err
		}
		changes = append(changes, MailboxCreated{Account: a, Mailbox: *mb})
	}
	return changes, nil
}

// CreateOptions are the optional attributes of a new mailbox.
type CreateOptions struct {
	SpecialUse string // RFC 6154 attribute (CREATE-SPECIAL-USE)
	Subscribed bool
}

// CreateMailbox creates a mailbox, and its missing parents (RFC 9051 §6.3.4:
// "the server SHOULD create any superior hierarchical names that are
// needed"). The new mailbox gets a fresh UIDVALIDITY.
func (s *Store) CreateMailbox(ctx context.Context, a AccountID, name string, opts CreateOptions) (Mailbox, error) {
	name, err := CanonicalMailboxName(name)
	if err != nil {
		return Mailbox{}, err
	}
	if err := validSpecialUse(opts.SpecialUse); err != nil {
		return Mailbox{}, err
	}
	defer s.lockAccount(a)()
	var created []Change
	var result Mailbox
	err = s.update(ctx, func(txn *badger.Txn) error {
		created = created[:0]
		rec, err := getAccount(txn, a)
		if err != nil {
			return err
		}
		if created, err = s.createParents(txn, a, rec, name, opts.Subscribed, created); err != nil {
			return err
		}
		mb, err := s.insertMailbox(txn, a, rec, name, mailboxSpec{specialUse: opts.SpecialUse, subscribed: opts.Subscribed})
		if err != nil {
			return err
		}
		result = *mb
		created = append(created, MailboxCreated{Account: a, Mailbox: *mb})
		return putAccount(txn, a, rec)
	})
	if err != nil {
		return Mailbox{}, err
	}
	s.hub.publish(a, created)
	return result, nil
}

// Mailbox returns a mailbox by name.
func (s *Store) Mailbox(ctx context.Context, a AccountID, name string) (Mailbox, error) {
	name, err := CanonicalMailboxName(name)
	if err != nil {
		return Mailbox{}, err
	}
	var mb *Mailbox
	err = s.view(ctx, func(txn *badger.Txn) error {
		id, err := mailboxIDByName(txn, a, name)
		if err != nil {
			return err
		}
		mb, err = getMailbox(txn, a, id)
		return err
	})
	if err != nil {
		return Mailbox{}, err
	}
	return *mb, nil
}

// MailboxByID returns a mailbox by its immutable ID. A mailbox of another
// account is reported as not found.
func (s *Store) MailboxByID(ctx context.Context, a AccountID, id MailboxID) (Mailbox, error) {
	var mb *Mailbox
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		mb, err = getMailbox(txn, a, id)
		return err
	})
	if err != nil {
		return Mailbox{}, err
	}
	return *mb, nil
}

// Mailboxes lists the account's mailboxes ordered by name.
func (s *Store) Mailboxes(ctx context.Context, a AccountID) ([]Mailbox, error) {
	var out []Mailbox
	err := s.view(ctx, func(txn *badger.Txn) error {
		if _, err := getAccount(txn, a); err != nil {
			return err
		}
		return forEach(txn, prefixMailboxes(a), func(k, v []byte) error {
			mb := Mailbox{Account: a, ID: MailboxID(decodeBE64(k[1+idSize:]))}
			if err := unmarshalMailbox(v, &mb); err != nil {
				return fmt.Errorf("decoding mailbox %d: %w", mb.ID, err)
			}
			out = append(out, mb)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// RenameMailbox renames a mailbox and moves its children with it. IDs,
// UIDVALIDITY, UIDs and messages stay as they are (RFC 9051 §6.3.6).
func (s *Store) RenameMailbox(ctx context.Context, a AccountID, oldName, newName string) error {
	oldName, err := CanonicalMailboxName(oldName)
	if err != nil {
		return err
	}
	newName, err = CanonicalMailboxName(newName)
	if err != nil {
		return err
	}
	if oldName == InboxName {
		// RFC 9051 §6.3.6 gives renaming INBOX its own meaning (move the
		// messages, keep INBOX); the IMAP layer does that with Move.
		return invalid(ErrInboxSpecial, "rename INBOX")
	}
	if newName == InboxName || isChildOf(newName, oldName) || newName == oldName {
		return invalid(ErrInvalidMailboxName, "cannot rename %q to %q", oldName, newName)
	}
	defer s.lockAccount(a)()
	var changes []Change
	err = s.update(ctx, func(txn *badger.Txn) error {
		changes = changes[:0]
		rec, err := getAccount(txn, a)
		if err != nil {
			return err
		}
		all, err := mailboxNames(txn, a)
		if err != nil {
			return err
		}
		if _, ok := all[oldName]; !ok {
			return fmt.Errorf("%w: %q", ErrMailboxNotFound, oldName)
		}
		if _, ok := all[newName]; ok {
			return invalid(ErrMailboxExists, "%q", newName)
		}
		for name, id := range all {
			if name != oldName && !isChildOf(name, oldName) {
				continue
			}
			to := newName + name[len(oldName):]
			if len(to) > maxMailboxNameLength {
				return invalid(ErrInvalidMailboxName, "renaming %q would make %q too long", name, to)
			}
			if _, clash := all[to]; clash {
				return invalid(ErrMailboxExists, "%q", to)
			}
			mb, err := getMailbox(txn, a, id)
			if err != nil {
				return err
			}
			mb.Name = to
			if err := txn.Delete(keyMailboxName(a, name)); err != nil {
				return err
			}
			if err := txn.Set(keyMailboxName(a, to), be64(nil, uint64(id))); err != nil {
				return err
			}
			if err := putMailbox(txn, mb); err != nil {
				return err
			}
			changes = append(changes, MailboxRenamed{Account: a, ID: id, OldName: name, NewName: to})
		}
		if changes, err = s.createParents(txn, a, rec, newName, false, changes); err != nil {
			return err
		}
		return putAccount(txn, a, rec)
	})
	if err != nil {
		return err
	}
	s.hub.publish(a, changes)
	return nil
}

// mailboxNames returns name -> ID for every mailbox of the account.
func mailboxNames(txn *badger.Txn, a AccountID) (map[string]MailboxID, error) {
	out := make(map[string]MailboxID)
	prefix := prefixMailboxNames(a)
	err := forEach(txn, prefix, func(k, v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("mailbox index %q: bad value", k)
		}
		out[string(k[len(prefix):])] = MailboxID(decodeBE64(v))
		return nil
	})
	return out, err
}

// DeleteMailbox deletes a mailbox and its messages. A mailbox with children is
// refused (the IMAP layer answers NO, RFC 9051 §6.3.5 allows it); INBOX cannot
// be deleted. A later mailbox of the same name gets a larger UIDVALIDITY.
func (s *Store) DeleteMailbox(ctx context.Context, a AccountID, name string) error {
	name, err := CanonicalMailboxName(name)
	if err != nil {
		return err
	}
	if name == InboxName {
		return invalid(ErrInboxSpecial, "delete INBOX")
	}
	unlock := s.lockAccount(a)
	var deleted MailboxDeleted
	err = s.update(ctx, func(txn *badger.Txn) error {
		id, err := mailboxIDByName(txn, a, name)
		if err != nil {
			return err
		}
		hasChild := false
		err = forEachKey(txn, keyMailboxName(a, name+HierarchySeparator), func([]byte) error {
			hasChild = true
			return errStop
		})
		if err != nil && !errors.Is(err, errStop) {
			return err
		}
		if hasChild {
			return invalid(ErrHasChildren, "%q", name)
		}
		mb, err := getMailbox(txn, a, id)
		if err != nil {
			return err
		}
		deleted = MailboxDeleted{Account: a, ID: id, Name: name}
		return removeMailboxRecords(txn, mb)
	})
	if err == nil {
		s.hub.publish(a, []Change{deleted})
	}
	unlock()
	if err != nil {
		return err
	}
	return s.purgeDeadMailboxes(ctx)
}

// errStop ends an iteration early.
var errStop = errors.New("stop iteration")

// removeMailboxRecords makes a mailbox disappear in txn: its record and name
// go, the UIDVALIDITY is remembered for the name, and a dead-mailbox mark
// asks purgeDeadMailboxes to remove its messages in bounded transactions.
func removeMailboxRecords(txn *badger.Txn, mb *Mailbox) error {
	if err := txn.Set(keyDeletedName(mb.Account, mb.Name), be32(nil, mb.UIDValidity)); err != nil {
		return err
	}
	if err := txn.Delete(keyMailboxName(mb.Account, mb.Name)); err != nil {
		return err
	}
	if err := txn.Delete(keyMailbox(mb.Account, mb.ID)); err != nil {
		return err
	}
	return txn.Set(keyDeadMailbox(mb.ID), be64(nil, uint64(mb.Account)))
}

// SetSubscribed sets a mailbox's subscription (RFC 9051 §6.3.7, §6.3.8).
func (s *Store) SetSubscribed(ctx context.Context, a AccountID, name string, subscribed bool) error {
	name, err := CanonicalMailboxName(name)
	if err != nil {
		return err
	}
	defer s.lockAccount(a)()
	var change MailboxSubscribed
	err = s.update(ctx, func(txn *badger.Txn) error {
		id, err := mailboxIDByName(txn, a, name)
		if err != nil {
			return err
		}
		mb, err := getMailbox(txn, a, id)
		if err != nil {
			return err
		}
		mb.Subscribed = subscribed
		change = MailboxSubscribed{Account: a, ID: id, Name: name, Subscribed: subscribed}
		return putMailbox(txn, mb)
	})
	if err != nil {
		return err
	}
	s.hub.publish(a, []Change{change})
	return nil
}

// HasChildren reports, for LIST's \HasChildren (RFC 3348), whether any
// mailbox lies below name.
func HasChildren(all []Mailbox, name string) bool {
	prefix := name + HierarchySeparator
	for _, mb := range all {
		if strings.HasPrefix(mb.Name, prefix) {
			return true
		}
	}
	return false
}
