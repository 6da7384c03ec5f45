package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// The import write path. The caller (the importer) supplies the identifiers
// a legacy server gave out; the store checks every invariant of DESIGN.md
// ("Identifiers on import") and refuses with a typed error, changing
// nothing, whatever would break one.

// ImportMailboxSpec describes a source mailbox.
type ImportMailboxSpec struct {
	Name          string
	UIDValidity   uint32 // the source's; 0: keep or allocate one
	UIDNext       UID    // the source's UIDNEXT; UIDNEXT becomes at least this
	HighestModSeq uint64 // the source's HIGHESTMODSEQ (RFC 7162), 0 if none
	SpecialUse    string
	Subscribed    bool
}

// ImportMailbox makes the target mailbox ready to take a source mailbox's
// messages with their UIDs:
//   - a new mailbox takes the source's UIDVALIDITY;
//   - an existing mailbox that never had a UID assigned (UIDNEXT 1, like the
//     INBOX of a new account) adopts it;
//   - an existing mailbox with the same UIDVALIDITY is kept, and UIDNEXT and
//     HIGHESTMODSEQ are raised to the source's when those are larger;
//   - anything else is ErrUIDValidityConflict, and nothing changes.
//
// Missing parents are created. Subscribed and SpecialUse are set if given.
func (s *Store) ImportMailbox(ctx context.Context, a AccountID, spec ImportMailboxSpec) (Mailbox, error) {
	name, err := CanonicalMailboxName(spec.Name)
	if err != nil {
		return Mailbox{}, err
	}
	if err := validSpecialUse(spec.SpecialUse); err != nil {
		return Mailbox{}, err
	}
	defer s.lockAccount(a)()
	var changes []Change
	var result Mailbox
	err = s.update(ctx, func(txn *badger.Txn) error {
		changes = changes[:0]
		rec, err := getAccount(txn, a)
		if err != nil {
			return err
		}
		if changes, err = s.createParents(txn, a, rec, name, spec.Subscribed, changes); err != nil {
			return err
		}
		id, err := mailboxIDByName(txn, a, name)
		var mb *Mailbox
		switch {
		case errors.Is(err, ErrMailboxNotFound):
			mb, err = s.insertMailbox(txn, a, rec, name, mailboxSpec{
				specialUse: spec.SpecialUse, subscribed: spec.Subscribed,
				uidValidity: spec.UIDValidity, uidNext: spec.UIDNext,
			})
			if err != nil {
				return err
			}
			changes = append(changes, MailboxCreated{Account: a, Mailbox: *mb})
		case err != nil:
			return err
		default:
			if mb, err = getMailbox(txn, a, id); err != nil {
				return err
			}
			if err := adoptUIDValidity(txn, rec, mb, spec.UIDValidity); err != nil {
				return err
			}
			mb.UIDNext = max(mb.UIDNext, spec.UIDNext)
			if spec.SpecialUse != "" {
				mb.SpecialUse = spec.SpecialUse
			}
			mb.Subscribed = mb.Subscribed || spec.Subscribed
		}
		mb.HighestModSeq = max(mb.HighestModSeq, spec.HighestModSeq)
		result = *mb
		if err := putMailbox(txn, mb); err != nil {
			return err
		}
		return putAccount(txn, a, rec)
	})
	if err != nil {
		return Mailbox{}, fmt.Errorf("importing mailbox %q: %w", name, err)
	}
	s.hub.publish(a, changes)
	return result, nil
}

// adoptUIDValidity applies the source's UIDVALIDITY to an existing mailbox.
func adoptUIDValidity(txn *badger.Txn, rec *accountRecord, mb *Mailbox, uv uint32) error {
	if uv == 0 || uv == mb.UIDValidity {
		return nil
	}
	if mb.UIDNext > 1 {
		return invalid(ErrUIDValidityConflict,
			"mailbox %q has UIDVALIDITY %d with UIDs assigned up to %d; the source has UIDVALIDITY %d (renumbering would make clients download it again)",
			mb.Name, mb.UIDValidity, mb.UIDNext-1, uv)
	}
	if v, err := getValue(txn, keyDeletedName(mb.Account, mb.Name), ErrMailboxNotFound); err == nil && len(v) == 4 {
		if before := binary.BigEndian.Uint32(v); uv <= before {
			return invalid(ErrUIDValidityConflict,
				"mailbox %q: UIDVALIDITY %d is not above %d, which a deleted mailbox of that name had", mb.Name, uv, before)
		}
	} else if err != nil && !errors.Is(err, ErrMailboxNotFound) {
		return err
	}
	mb.UIDValidity = uv
	rec.LastUIDValidity = max(rec.LastUIDValidity, uv)
	return nil
}

// ImportMessage is one message as a source server had it.
type ImportMessage struct {
	UID          UID    // required: the source's UID
	UIDL         string // the source's POP3 UIDL; "" gives one from the template
	POP3Order    uint32 // position in the source's POP3 listing, 0 if unknown
	Flags        []string
	InternalDate time.Time // zero: now
	ModSeq       uint64    // the source's MODSEQ, 0 if none; raised if not above the mailbox's
	// SourceKey identifies the message at its source (e.g. "uidvalidity/uid"
	// or a content key). A message whose key was imported before, even if
	// expunged since, is skipped, so re-running an import is safe.
	SourceKey string
	Body      io.Reader
}

// ImportOptions change how Import checks UIDs.
//
// A UID below UIDNEXT is accepted when no message holds it, no tombstone
// records it, and it lies in the range reserved for the source (at or above
// the highest UID this store assigned itself; see Mailbox.importFloor).
type ImportOptions struct {
	// FillGaps also accepts never-held UIDs below that range: a message the
	// source had all along, missed by an earlier run, arriving after native
	// deliveries. Clients of this server that synchronised meanwhile will see
	// a UID appear below ones they know.
	FillGaps bool
}

// ImportResult says what Import did with one message.
type ImportResult struct {
	Skipped bool // the SourceKey was imported before; Message.UID is the earlier UID (0 if unknown)
	Message Message
}

// importBatchBytes and importBatchCount bound one import transaction.
const (
	importBatchBytes = 8 << 20
	importBatchCount = 500
)

// Import stores messages with the identifiers their source gave them. Every
// message is validated before anything is written; an invalid one refuses the
// whole call and nothing changes. Valid messages are committed in bounded
// transactions, in order; when Import returns, they are durable.
func (s *Store) Import(ctx context.Context, a AccountID, m MailboxID, msgs []ImportMessage, opts ImportOptions) ([]ImportResult, error) {
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
				msg.Size = ings[i].size
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

// validateImport checks every message against the store as it is (the
// account lock is held, so nothing changes before the writes) and fills in
// results with the messages to write.
func (s *Store) validateImport(txn *badger.Txn, a AccountID, m MailboxID, msgs []ImportMessage, opts ImportOptions, results []ImportResult, flags []parsedFlags) error {
	mb, err := getMailbox(txn, a, m)
	if err != nil {
		return err
	}
	uidls := make(map[string]UID, len(msgs))
	keys := make(map[string]bool, len(msgs))
	last := UID(0)
	for i, im := range msgs {
		fail := func(sentinel error, format string, args ...any) error {
			return fmt.Errorf("importing UID %d into %q: %w", im.UID, mb.Name, invalid(sentinel, format, args...))
		}
		if im.SourceKey != "" {
			if keys[im.SourceKey] {
				return fail(ErrUIDReuse, "source key %q given twice", im.SourceKey)
			}
			keys[im.SourceKey] = true
			v, err := getValue(txn, keySourceKey(m, im.SourceKey), ErrMessageNotFound)
			if err == nil {
				results[i] = ImportResult{Skipped: true}
				if len(v) == 4 {
					results[i].Message.UID = UID(binary.BigEndian.Uint32(v))
				}
				continue
			}
			if !errors.Is(err, ErrMessageNotFound) {
				return err
			}
		}
		if im.UID == 0 || uint32(im.UID) == math.MaxUint32 {
			return fail(ErrUIDReuse, "UID %d is not a valid UID", im.UID)
		}
		if im.UID <= last {
			return fail(ErrUIDNotAscending, "UID %d follows UID %d in the same import", im.UID, last)
		}
		last = im.UID
		if im.UID < mb.UIDNext {
			if err := checkGap(txn, mb, im.UID, opts); err != nil {
				return fmt.Errorf("importing into %q: %w", mb.Name, err)
			}
		}
		if flags[i], err = parseFlags(im.Flags); err != nil {
			return fmt.Errorf("importing UID %d: %w", im.UID, err)
		}
		msg := Message{UID: im.UID, UIDL: im.UIDL, POP3Order: im.POP3Order, ModSeq: im.ModSeq, InternalDate: im.InternalDate}
		if msg.InternalDate.IsZero() {
			msg.InternalDate = time.Now()
		}
		msg.InternalDate = msg.InternalDate.UTC()
		if msg.UIDL == "" {
			msg.UIDL, err = uniqueUIDL(s.template.Render(im.UID, mb.UIDValidity, m), m, func(u string) (bool, error) {
				if _, dup := uidls[u]; dup {
					return true, nil
				}
				return exists(txn, keyUIDL(a, u))
			})
			if err != nil {
				return err
			}
		} else {
			if err := ValidateUIDL(msg.UIDL); err != nil {
				return fmt.Errorf("importing UID %d: %w", im.UID, err)
			}
			if other, dup := uidls[msg.UIDL]; dup {
				return fail(ErrUIDLExists, "UIDL %q also given to UID %d", msg.UIDL, other)
			}
			if used, err := exists(txn, keyUIDL(a, msg.UIDL)); err != nil {
				return err
			} else if used {
				return fail(ErrUIDLExists, "UIDL %q is already used in this account", msg.UIDL)
			}
		}
		uidls[msg.UIDL] = im.UID
		results[i] = ImportResult{Message: msg}
	}
	return nil
}

// checkGap allows a UID below UIDNEXT only if the store never assigned it (no
// message holds it, no tombstone records it) and it is in the source's
// reserved range, or FillGaps says so.
func checkGap(txn *badger.Txn, mb *Mailbox, uid UID, opts ImportOptions) error {
	held, err := exists(txn, keyMessage(mb.ID, uid))
	if err != nil {
		return err
	}
	if held {
		return invalid(ErrUIDReuse, "UID %d is already held by a message", uid)
	}
	if uid < mb.importFloor && !opts.FillGaps {
		return invalid(ErrUIDReuse, "UID %d is below %d, the UIDs this server has assigned itself", uid, mb.importFloor)
	}
	gone, err := exists(txn, keyTombstone(mb.ID, uid))
	if err != nil {
		return err
	}
	if gone {
		return invalid(ErrUIDReuse, "UID %d was expunged and must never be reused", uid)
	}
	return nil
}
