package store

import (
	"context"
	"io"
	"math"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// AppendOptions are the optional attributes of an appended or delivered message.
type AppendOptions struct {
	Flags        []string
	InternalDate time.Time // zero: now
}

// Appended is the result of Append: the message as stored and the mailbox's
// UIDVALIDITY at that moment (for APPENDUID, RFC 4315 §3).
type Appended struct {
	UIDValidity uint32
	Message     Message
}

// Append stores a new message (IMAP APPEND, LMTP delivery). The store assigns
// the UID from UIDNEXT in the same transaction that stores the message, and
// a UIDL from the template. When Append returns, the message is durable.
func (s *Store) Append(ctx context.Context, a AccountID, m MailboxID, body io.Reader, opts AppendOptions) (Appended, error) {
	flags, err := parseFlags(opts.Flags)
	if err != nil {
		return Appended{}, err
	}
	date := opts.InternalDate
	if date.IsZero() {
		date = time.Now()
	}
	ing, err := s.ingest(ctx, body)
	if err != nil {
		return Appended{}, err
	}
	if err := s.checkSize(ing); err != nil {
		s.dropIngested(ctx, ing)
		return Appended{}, err
	}
	unlock := s.lockAccount(a)
	defer unlock()
	var res Appended
	var sweep BlobID
	err = s.update(ctx, func(txn *badger.Txn) error {
		mb, err := getMailbox(txn, a, m)
		if err != nil {
			return err
		}
		if mb.UIDNext == 0 || uint32(mb.UIDNext) == math.MaxUint32 {
			return invalid(ErrUIDSpaceExhausted, "mailbox %q", mb.Name)
		}
		msg := Message{UID: mb.UIDNext, InternalDate: date.UTC(), Size: ing.size}
		msg.UIDL, err = uniqueUIDL(s.template.Render(msg.UID, mb.UIDValidity, mb.ID), mb.ID,
			func(u string) (bool, error) { return exists(txn, keyUIDL(a, u)) })
		if err != nil {
			return err
		}
		sweep, err = s.insertMessage(txn, mb, &msg, flags, ing, "")
		if err != nil {
			return err
		}
		res = Appended{UIDValidity: mb.UIDValidity, Message: msg}
		mb.importFloor = mb.UIDNext
		return putMailbox(txn, mb)
	})
	if err != nil {
		s.dropIngested(ctx, ing)
		return Appended{}, err
	}
	s.hub.publish(a, []Change{MessageAdded{Account: a, Mailbox: m, Message: res.Message}})
	if sweep != 0 {
		s.sweepBlob(ctx, sweep)
	}
	return res, nil
}

// dropIngested removes the chunks of a streamed body that no message
// references (the write that ingested it failed).
func (s *Store) dropIngested(ctx context.Context, ing *ingested) {
	if ing.streamed != 0 {
		s.sweepBlob(context.WithoutCancel(ctx), ing.streamed)
	}
}

// insertMessage writes a message record and its indexes in txn and updates
// mb in memory (the caller writes it back). msg must carry UID, UIDL, size
// and dates; insertMessage sets Flags, ModSeq and Blob. UIDs at or above
// UIDNEXT advance it; a UID below is the caller's decision (import gap fill).
func (s *Store) insertMessage(txn *badger.Txn, mb *Mailbox, msg *Message, flags parsedFlags, ing *ingested, sourceKey string) (BlobID, error) {
	kw, grew, err := canonicalKeywords(&mb.Keywords, flags.keywords)
	if err != nil {
		return 0, err
	}
	_ = grew // the registry is written with the mailbox record
	msg.Flags = joinFlags(flags.sys, kw)
	if msg.ModSeq <= mb.HighestModSeq {
		msg.ModSeq = mb.HighestModSeq + 1
	}
	mb.HighestModSeq = msg.ModSeq
	blob, sweep, err := s.addBlobRef(txn, ing)
	if err != nil {
		return 0, err
	}
	msg.Blob = blob
	if err := txn.Set(keyMessage(mb.ID, msg.UID), marshalMessage(msg)); err != nil {
		return 0, err
	}
	if err := txn.Set(keyUIDL(mb.Account, msg.UIDL), be32(be64(nil, uint64(mb.ID)), uint32(msg.UID))); err != nil {
		return 0, err
	}
	if sourceKey != "" {
		if err := txn.Set(keySourceKey(mb.ID, sourceKey), be32(nil, uint32(msg.UID))); err != nil {
			return 0, err
		}
	}
	if msg.UID >= mb.UIDNext {
		mb.UIDNext = msg.UID + 1
	}
	mb.countIn(msg)
	if sweep {
		return ing.streamed, nil
	}
	return 0, nil
}

// countIn and countOut keep the mailbox's counters in step with its messages.
func (mb *Mailbox) countIn(msg *Message) {
	mb.Messages++
	mb.Size += msg.Size
	sys, _ := splitFlags(msg.Flags)
	if sys&sysSeen == 0 {
		mb.Unseen++
	}
	if sys&sysDeleted != 0 {
		mb.Deleted++
	}
}

func (mb *Mailbox) countOut(msg *Message) {
	mb.Messages--
	mb.Size -= msg.Size
	sys, _ := splitFlags(msg.Flags)
	if sys&sysSeen == 0 {
		mb.Unseen--
	}
	if sys&sysDeleted != 0 {
		mb.Deleted--
	}
}
