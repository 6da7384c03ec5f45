package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Record access inside a transaction. Values are always copied out of badger
// (item.ValueCopy / decoding inside Value), as badger's docs require.

// exists reports whether key is present.
func exists(txn *badger.Txn, key []byte) (bool, error) {
	_, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// getValue returns a copy of key's value, or notFound when it is absent.
func getValue(txn *badger.Txn, key []byte, notFound error) ([]byte, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

func getUint64(txn *badger.Txn, key []byte, notFound error) (uint64, error) {
	v, err := getValue(txn, key, notFound)
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("key %x: %d-byte value, want 8", key, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

func getAccount(txn *badger.Txn, a AccountID) (*accountRecord, error) {
	v, err := getValue(txn, keyAccount(a), ErrAccountNotFound)
	if err != nil {
		return nil, err
	}
	r := new(accountRecord)
	if err := r.unmarshal(v); err != nil {
		return nil, fmt.Errorf("decoding account %d: %w", a, err)
	}
	return r, nil
}

func putAccount(txn *badger.Txn, a AccountID, r *accountRecord) error {
	return txn.Set(keyAccount(a), r.marshal())
}

func getMailbox(txn *badger.Txn, a AccountID, m MailboxID) (*Mailbox, error) {
	v, err := getValue(txn, keyMailbox(a, m), ErrMailboxNotFound)
	if err != nil {
		return nil, err
	}
	mb := &Mailbox{ID: m, Account: a}
	if err := unmarshalMailbox(v, mb); err != nil {
		return nil, fmt.Errorf("decoding mailbox %d: %w", m, err)
	}
	return mb, nil
}

func putMailbox(txn *badger.Txn, mb *Mailbox) error {
	return txn.Set(keyMailbox(mb.Account, mb.ID), marshalMailbox(mb))
}

// mailboxIDByName resolves a canonical name.
func mailboxIDByName(txn *badger.Txn, a AccountID, name string) (MailboxID, error) {
	id, err := getUint64(txn, keyMailboxName(a, name), ErrMailboxNotFound)
	if errors.Is(err, ErrMailboxNotFound) {
		return 0, fmt.Errorf("%w: %q", ErrMailboxNotFound, name)
	}
	return MailboxID(id), err
}

func getMessage(txn *badger.Txn, m MailboxID, uid UID) (*Message, error) {
	v, err := getValue(txn, keyMessage(m, uid), ErrMessageNotFound)
	if err != nil {
		return nil, err
	}
	msg := new(Message)
	if err := unmarshalMessage(v, uid, msg); err != nil {
		return nil, fmt.Errorf("decoding message %d/%d: %w", m, uid, err)
	}
	return msg, nil
}

func getBlob(txn *badger.Txn, b BlobID) (*blobRecord, error) {
	v, err := getValue(txn, keyBlob(b), ErrMessageNotFound)
	if err != nil {
		return nil, fmt.Errorf("blob %d: %w", b, err)
	}
	r := new(blobRecord)
	if err := r.unmarshal(v); err != nil {
		return nil, fmt.Errorf("decoding blob %d: %w", b, err)
	}
	return r, nil
}

func putUint64(txn *badger.Txn, key []byte, v uint64) error {
	return txn.Set(key, be64(nil, v))
}

// forEachKey calls fn for every key with prefix, in order, without reading
// values (a key-only scan).
func forEachKey(txn *badger.Txn, prefix []byte, fn func(key []byte) error) error {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		if err := fn(it.Item().Key()); err != nil {
			return err
		}
	}
	return nil
}

// forEach calls fn for every key and value with prefix, in key order. The
// slices are valid only during the call.
func forEach(txn *badger.Txn, prefix []byte, fn func(key, value []byte) error) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		err := item.Value(func(v []byte) error { return fn(item.Key(), v) })
		if err != nil {
			return err
		}
	}
	return nil
}
