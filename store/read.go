package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/ferrymail/ferrymail/store/structure"
)

// Messages lists a mailbox's messages in UID order: what a session needs for
// its sequence-number map, FLAGS and POP3's listing. It reads only the small
// message records (kept in badger's LSM tree), never message bytes.
func (s *Store) Messages(ctx context.Context, a AccountID, m MailboxID) ([]Message, error) {
	var out []Message
	err := s.view(ctx, func(txn *badger.Txn) error {
		mb, err := getMailbox(txn, a, m)
		if err != nil {
			return err
		}
		out = make([]Message, 0, mb.Messages)
		return forEach(txn, prefixMessages(m), func(k, v []byte) error {
			d, err := decodeKey(k)
			if err != nil {
				return err
			}
			out = append(out, Message{})
			if err := unmarshalMessage(v, d.UID, &out[len(out)-1]); err != nil {
				return fmt.Errorf("decoding message %d/%d: %w", m, d.UID, err)
			}
			return nil
		})
	})
	return out, err
}

// Message returns one message's record.
func (s *Store) Message(ctx context.Context, a AccountID, m MailboxID, uid UID) (Message, error) {
	var msg *Message
	err := s.view(ctx, func(txn *badger.Txn) error {
		if _, err := getMailbox(txn, a, m); err != nil {
			return err
		}
		var err error
		msg, err = getMessage(txn, m, uid)
		return err
	})
	if err != nil {
		return Message{}, err
	}
	return *msg, nil
}

// OpenMessage returns a reader of a message's stored bytes, exactly as
// stored (CRLF-normalised at ingest). The caller must Close it.
func (s *Store) OpenMessage(ctx context.Context, a AccountID, m MailboxID, uid UID) (*MessageReader, error) {
	msg, err := s.Message(ctx, a, m, uid)
	if err != nil {
		return nil, err
	}
	b, err := s.openBlob(msg.Blob, msg.Size)
	if err != nil {
		return nil, err
	}
	return &MessageReader{SectionReader: newSection(b, msg.Size), blob: b}, nil
}

// Structure returns the ENVELOPE and BODYSTRUCTURE data computed when the
// message was stored.
func (s *Store) Structure(ctx context.Context, a AccountID, m MailboxID, uid UID) (*structure.Message, error) {
	var st structure.Message
	err := s.view(ctx, func(txn *badger.Txn) error {
		if _, err := getMailbox(txn, a, m); err != nil {
			return err
		}
		msg, err := getMessage(txn, m, uid)
		if err != nil {
			return err
		}
		item, err := txn.Get(keyStructure(msg.Blob))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("structure of blob %d missing", msg.Blob)
		}
		if err != nil {
			return err
		}
		return item.Value(st.UnmarshalBinary)
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// FindUIDL looks up which message of the account carries a POP3 UIDL.
func (s *Store) FindUIDL(ctx context.Context, a AccountID, uidl string) (MailboxID, UID, error) {
	var mbox MailboxID
	var uid UID
	err := s.view(ctx, func(txn *badger.Txn) error {
		v, err := getValue(txn, keyUIDL(a, uidl), ErrMessageNotFound)
		if err != nil {
			return err
		}
		if len(v) != idSize+uidSize {
			return fmt.Errorf("UIDL index %q: bad value", uidl)
		}
		mbox, uid = MailboxID(decodeBE64(v)), UID(be32dec(v[idSize:]))
		return nil
	})
	return mbox, uid, err
}

// OpenMessageStructure is OpenMessage and Structure from one snapshot, with
// one mailbox and one message lookup instead of two of each: what SEARCH on
// headers or text needs for every message it reads (a third of its time
// went to the repeated lookups; docs/benchmarks.md, "Scale"). The caller
// must Close the reader.
func (s *Store) OpenMessageStructure(ctx context.Context, a AccountID, m MailboxID, uid UID) (*MessageReader, *structure.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	txn := s.db.NewTransaction(false)
	st, msg, err := func() (*structure.Message, *Message, error) {
		if _, err := getMailbox(txn, a, m); err != nil {
			return nil, nil, err
		}
		msg, err := getMessage(txn, m, uid)
		if err != nil {
			return nil, nil, err
		}
		item, err := txn.Get(keyStructure(msg.Blob))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil, nil, fmt.Errorf("structure of blob %d missing", msg.Blob)
		}
		if err != nil {
			return nil, nil, err
		}
		st := new(structure.Message)
		return st, msg, item.Value(st.UnmarshalBinary)
	}()
	if err != nil {
		txn.Discard()
		if errors.Is(err, badger.ErrDBClosed) {
			return nil, nil, ErrClosed
		}
		return nil, nil, err
	}
	b := &blobReader{txn: txn, id: msg.Blob, size: msg.Size}
	return &MessageReader{SectionReader: newSection(b, msg.Size), blob: b}, st, nil
}
