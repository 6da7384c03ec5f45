package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/ferrymail/ferrymail/store/password"
)

// Accounts whose password hash comes from elsewhere: "ferrymail user
// import" keeps the hashes of a Dovecot passwd-file as they are (see
// store/password/schemes.go), so that users keep their passwords across a
// migration. A hash is stored only if password.Scheme knows its scheme.

// checkHash refuses an empty hash or one whose scheme cannot be verified.
func checkHash(hash string) error {
	if hash == "" {
		return ErrEmptyPassword
	}
	if _, err := password.Scheme(hash); err != nil {
		return fmt.Errorf("password hash: %w", err)
	}
	return nil
}

// CreateAccountWithHash is CreateAccount with a password hash instead of
// a password, stored as given.
func (s *Store) CreateAccountWithHash(ctx context.Context, name, hash string) (Account, error) {
	if err := validateAccountName(name); err != nil {
		return Account{}, err
	}
	if err := checkHash(hash); err != nil {
		return Account{}, fmt.Errorf("creating account %q: %w", name, err)
	}
	return s.createAccount(ctx, name, hash)
}

// SetPasswordHash replaces an account's password hash with hash, stored
// as given.
func (s *Store) SetPasswordHash(ctx context.Context, a AccountID, hash string) error {
	if err := checkHash(hash); err != nil {
		return fmt.Errorf("setting password of account %d: %w", a, err)
	}
	return s.replaceHash(ctx, a, "", hash)
}

// replaceHash writes hash into the account record, only if the stored one
// is old (any, when old is "").
func (s *Store) replaceHash(ctx context.Context, a AccountID, old, hash string) error {
	defer s.lockAccount(a)()
	err := s.update(ctx, func(txn *badger.Txn) error {
		rec, err := getAccount(txn, a)
		if err != nil {
			return err
		}
		if old != "" && rec.PasswordHash != old {
			return nil // changed meanwhile: the newer one stays
		}
		rec.PasswordHash = hash
		return putAccount(txn, a, rec)
	})
	if err != nil {
		return fmt.Errorf("setting password of account %d: %w", a, err)
	}
	return nil
}

// AuthenticateAndUpgrade is Authenticate that, after a successful login
// with a hash in another scheme than the native argon2id (an imported
// one), replaces the hash with a native one of the same password. A
// failure to re-hash is logged; the login still succeeds.
func (s *Store) AuthenticateAndUpgrade(ctx context.Context, name, pw string) (Account, error) {
	acc, hash, err := s.checkLogin(ctx, name, pw)
	if err != nil {
		return Account{}, err
	}
	if password.NeedsRehash(hash) {
		native, err := password.Hash(pw)
		if err == nil {
			err = s.replaceHash(ctx, acc.ID, hash, native)
		}
		if err != nil {
			s.log.Warn("re-hashing password after login", "user", acc.Name, "err", err)
		} else {
			s.log.Info("password re-hashed to argon2id after login", "user", acc.Name)
		}
	}
	return acc, nil
}
