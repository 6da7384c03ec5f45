package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/ferrymail/ferrymail/store/password"
)

// accountKey is the case-insensitive form of a login name.
func accountKey(name string) string { return strings.ToLower(name) }

// CreateAccount creates an account with INBOX and the RFC 6154 special-use
// mailboxes (Sent, Drafts, Trash, Junk, Archive), all subscribed. The password
// is stored as an argon2id hash.
func (s *Store) CreateAccount(ctx context.Context, name, pw string) (Account, error) {
	if err := validateAccountName(name); err != nil {
		return Account{}, err
	}
	if pw == "" {
		return Account{}, ErrEmptyPassword
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return Account{}, err
	}
	return s.createAccount(ctx, name, hash)
}

// createAccount is CreateAccount with the password hash given (see
// CreateAccountWithHash).
func (s *Store) createAccount(ctx context.Context, name, hash string) (Account, error) {
	id, err := s.nextID()
	if err != nil {
		return Account{}, err
	}
	a := AccountID(id)
	now := time.Now().UTC()
	var created []Change
	err = s.update(ctx, func(txn *badger.Txn) error {
		created = created[:0]
		taken, err := exists(txn, keyAccountName(accountKey(name)))
		if err != nil {
			return err
		}
		if taken {
			return invalid(ErrAccountExists, "%q", name)
		}
		floor, err := getUint64(txn, keyUIDValidityFloor, ErrAccountNotFound)
		if err != nil && !errors.Is(err, ErrAccountNotFound) {
			return err
		}
		rec := &accountRecord{Name: name, PasswordHash: hash, Created: now, LastUIDValidity: uint32(floor)}
		if err := txn.Set(keyAccountName(accountKey(name)), be64(nil, uint64(a))); err != nil {
			return err
		}
		for _, d := range defaultMailboxes {
			mb, err := s.insertMailbox(txn, a, rec, d.name, mailboxSpec{specialUse: d.specialUse, subscribed: true})
			if err != nil {
				return err
			}
			created = append(created, MailboxCreated{Account: a, Mailbox: *mb})
		}
		return putAccount(txn, a, rec)
	})
	if err != nil {
		return Account{}, fmt.Errorf("creating account %q: %w", name, err)
	}
	s.hub.publish(a, created)
	return Account{ID: a, Name: name, Created: now}, nil
}

// Account looks an account up by login name (case-insensitively).
func (s *Store) Account(ctx context.Context, name string) (Account, error) {
	acc, _, err := s.lookupAccount(ctx, name)
	if errors.Is(err, ErrAccountNotFound) {
		return acc, invalid(ErrAccountNotFound, "%q", name)
	}
	return acc, err
}

// lookupAccount finds an account by login name, with its password hash.
func (s *Store) lookupAccount(ctx context.Context, name string) (Account, string, error) {
	var acc Account
	var hash string
	err := s.view(ctx, func(txn *badger.Txn) error {
		id, err := getUint64(txn, keyAccountName(accountKey(name)), ErrAccountNotFound)
		if err != nil {
			return err
		}
		rec, err := getAccount(txn, AccountID(id))
		if err != nil {
			return err
		}
		acc = Account{ID: AccountID(id), Name: rec.Name, Created: rec.Created}
		hash = rec.PasswordHash
		return nil
	})
	return acc, hash, err
}

// Accounts lists all accounts, ordered by login name.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	var out []Account
	err := s.view(ctx, func(txn *badger.Txn) error {
		return forEach(txn, []byte{tAccountName}, func(k, v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("account index %q: bad value", k)
			}
			id := AccountID(decodeBE64(v))
			rec, err := getAccount(txn, id)
			if err != nil {
				return err
			}
			out = append(out, Account{ID: id, Name: rec.Name, Created: rec.Created})
			return nil
		})
	})
	return out, err
}

// dummyHash is verified against when the account does not exist, so that a
// failed login takes as long for an unknown user as for a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := password.Hash("ferrymail-dummy")
	return h
})

// Authenticate checks a login. Unknown user and wrong password both give
// ErrAuthFailed, after the same work. With Options.RehashOnLogin it is
// AuthenticateAndUpgrade.
func (s *Store) Authenticate(ctx context.Context, name, pw string) (Account, error) {
	if s.rehash {
		return s.AuthenticateAndUpgrade(ctx, name, pw)
	}
	acc, _, err := s.checkLogin(ctx, name, pw)
	return acc, err
}

// checkLogin verifies a login and returns the account with the stored hash
// that matched.
func (s *Store) checkLogin(ctx context.Context, name, pw string) (Account, string, error) {
	// One hash per core at a time: more would not finish sooner, and each
	// holds its memory (store.go, hashSlots).
	select {
	case s.hashSlots <- struct{}{}:
		defer func() { <-s.hashSlots }()
	case <-ctx.Done():
		return Account{}, "", ctx.Err()
	}
	acc, hash, err := s.lookupAccount(ctx, name)
	if errors.Is(err, ErrAccountNotFound) {
		password.Verify(dummyHash(), pw)
		return Account{}, "", ErrAuthFailed
	}
	if err != nil {
		return Account{}, "", err
	}
	ok, err := password.Verify(hash, pw)
	if err != nil {
		return Account{}, "", fmt.Errorf("verifying password of %q: %w", name, err)
	}
	if !ok {
		return Account{}, "", ErrAuthFailed
	}
	return acc, hash, nil
}

// SetPassword replaces an account's password.
func (s *Store) SetPassword(ctx context.Context, a AccountID, pw string) error {
	if pw == "" {
		return ErrEmptyPassword
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	defer s.lockAccount(a)()
	err = s.update(ctx, func(txn *badger.Txn) error {
		rec, err := getAccount(txn, a)
		if err != nil {
			return err
		}
		rec.PasswordHash = hash
		return putAccount(txn, a, rec)
	})
	if err != nil {
		return fmt.Errorf("setting password of account %d: %w", a, err)
	}
	return nil
}

// DeleteAccount removes an account with all its mailboxes and messages. The
// account disappears at once; its messages are purged in the background of
// this call in bounded transactions (and on the next Open after a crash).
func (s *Store) DeleteAccount(ctx context.Context, a AccountID) error {
	unlock := s.lockAccount(a)
	var changes []Change
	err := s.update(ctx, func(txn *badger.Txn) error {
		changes = changes[:0]
		rec, err := getAccount(txn, a)
		if err != nil {
			return err
		}
		var boxes []*Mailbox
		err = forEach(txn, prefixMailboxes(a), func(k, v []byte) error {
			mb := &Mailbox{Account: a, ID: MailboxID(decodeBE64(k[1+idSize:]))}
			if err := unmarshalMailbox(v, mb); err != nil {
				return err
			}
			boxes = append(boxes, mb)
			return nil
		})
		if err != nil {
			return err
		}
		for _, mb := range boxes {
			if err := removeMailboxRecords(txn, mb); err != nil {
				return err
			}
			changes = append(changes, MailboxDeleted{Account: a, ID: mb.ID, Name: mb.Name})
		}
		// The deleted-name records ('D') go too: the account is gone.
		var dead [][]byte
		err = forEachKey(txn, be64([]byte{tDeletedName}, uint64(a)), func(k []byte) error {
			dead = append(dead, append([]byte(nil), k...))
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		// Keep the account's UIDVALIDITYs from coming back if the name is
		// created again (RFC 9051 §2.3.1.1).
		floor, err := getUint64(txn, keyUIDValidityFloor, ErrAccountNotFound)
		if err != nil && !errors.Is(err, ErrAccountNotFound) {
			return err
		}
		if uint64(rec.LastUIDValidity) > floor {
			if err := putUint64(txn, keyUIDValidityFloor, uint64(rec.LastUIDValidity)); err != nil {
				return err
			}
		}
		if err := txn.Delete(keyAccountName(accountKey(rec.Name))); err != nil {
			return err
		}
		return txn.Delete(keyAccount(a))
	})
	if err == nil {
		s.hub.publish(a, changes)
	}
	unlock()
	if err != nil {
		return fmt.Errorf("deleting account %d: %w", a, err)
	}
	return s.purgeDeadMailboxes(ctx)
}
