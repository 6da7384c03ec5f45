package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferrymail/ferrymail/store/password"
)

// From "doveadm pw -s SHA512-CRYPT -p secret" (Dovecot 2.3).
const doveadmSHA512Crypt = "{SHA512-CRYPT}$6$ydXH3DHOvtwDcS6Z$wxA7UDLOmBz/NOgldoBm5nBGlJsqxUzFMoWHPREwumgzwDPa5IPmcQgNihTbrVVT/rWBtmC7pg5Tr3lrn22d11"

// storedHash reads an account's hash as stored.
func storedHash(t *testing.T, s *Store, name string) string {
	t.Helper()
	_, h, err := s.lookupAccount(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestCreateAccountWithHash(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	acc, err := s.CreateAccountWithHash(ctx, "carol", doveadmSHA512Crypt)
	if err != nil {
		t.Fatal(err)
	}
	if got := storedHash(t, s, "carol"); got != doveadmSHA512Crypt {
		t.Errorf("stored hash %q, want it as given", got)
	}
	// The default mailboxes exist, as for CreateAccount.
	mustMailbox(t, s, acc.ID, InboxName)
	mustMailbox(t, s, acc.ID, "Trash")
	if _, err := s.Authenticate(ctx, "carol", "secret"); err != nil {
		t.Errorf("Authenticate with the old password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "carol", "Secret"); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("Authenticate with a wrong password: %v, want ErrAuthFailed", err)
	}
	if _, err := s.CreateAccountWithHash(ctx, "CAROL", "{PLAIN}x"); !errors.Is(err, ErrAccountExists) {
		t.Errorf("second create: %v, want ErrAccountExists", err)
	}
	for _, h := range []string{"", "{MD4}abc", "abJnggxhB/yWI"} {
		if _, err := s.CreateAccountWithHash(ctx, "dave", h); err == nil {
			t.Errorf("CreateAccountWithHash(%q): no error", h)
		}
	}
	if _, err := s.Account(ctx, "dave"); !errors.Is(err, ErrAccountNotFound) {
		t.Errorf("refused account exists: %v", err)
	}
	if _, err := s.CreateAccountWithHash(ctx, "bad name\n", "{PLAIN}x"); !errors.Is(err, ErrInvalidAccountName) {
		t.Errorf("bad name: %v, want ErrInvalidAccountName", err)
	}
}

func TestSetPasswordHash(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "erin")
	if err := s.SetPasswordHash(ctx, acc.ID, "{PLAIN}new one"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "erin", "new one"); err != nil {
		t.Errorf("Authenticate after SetPasswordHash: %v", err)
	}
	if err := s.SetPasswordHash(ctx, acc.ID, "{MD4}abc"); !errors.Is(err, password.ErrUnknownScheme) {
		t.Errorf("unknown scheme: %v, want ErrUnknownScheme", err)
	}
	if err := s.SetPasswordHash(ctx, AccountID(999999), "{PLAIN}x"); !errors.Is(err, ErrAccountNotFound) {
		t.Errorf("unknown account: %v, want ErrAccountNotFound", err)
	}
}

func TestAuthenticateAndUpgrade(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	if _, err := s.CreateAccountWithHash(ctx, "frank", doveadmSHA512Crypt); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateAndUpgrade(ctx, "frank", "wrong"); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("wrong password: %v", err)
	}
	if got := storedHash(t, s, "frank"); got != doveadmSHA512Crypt {
		t.Fatalf("a failed login changed the hash to %q", got)
	}
	if _, err := s.AuthenticateAndUpgrade(ctx, "frank", "secret"); err != nil {
		t.Fatal(err)
	}
	got := storedHash(t, s, "frank")
	if !strings.HasPrefix(got, "$argon2id$") {
		t.Fatalf("hash after login %q, want native argon2id", got)
	}
	if _, err := s.AuthenticateAndUpgrade(ctx, "frank", "secret"); err != nil {
		t.Errorf("login after upgrade: %v", err)
	}
	if again := storedHash(t, s, "frank"); again != got {
		t.Errorf("a native hash was re-hashed")
	}
	if _, err := s.AuthenticateAndUpgrade(ctx, "nobody", "secret"); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("unknown user: %v, want ErrAuthFailed", err)
	}
}

// TestRehashOnLoginOption: with Options.RehashOnLogin, Authenticate
// upgrades an imported hash; without it, the hash stays as imported.
func TestRehashOnLoginOption(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestStore(t)
	if _, err := s.CreateAccountWithHash(ctx, "gina", doveadmSHA512Crypt); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "gina", "secret"); err != nil {
		t.Fatal(err)
	}
	if got := storedHash(t, s, "gina"); got != doveadmSHA512Crypt {
		t.Fatalf("hash changed without RehashOnLogin: %q", got)
	}
	s2 := newTestStoreOptions(t, Options{RehashOnLogin: true})
	if _, err := s2.CreateAccountWithHash(ctx, "gina", doveadmSHA512Crypt); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Authenticate(ctx, "gina", "secret"); err != nil {
		t.Fatal(err)
	}
	if got := storedHash(t, s2, "gina"); !strings.HasPrefix(got, "$argon2id$") {
		t.Errorf("hash after login with RehashOnLogin: %q, want argon2id", got)
	}
}

// newTestStoreOptions is newTestStore with options on top of the test
// defaults.
func newTestStoreOptions(t *testing.T, opts Options) *Store {
	t.Helper()
	opts.MemTableSize, opts.GCInterval, opts.Logger = 8<<20, -1, quietLogger()
	s, err := Open(context.Background(), t.TempDir(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.CheckConsistency(context.Background()); err != nil {
			t.Errorf("CheckConsistency: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}
