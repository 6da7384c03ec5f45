// Package password hashes and verifies account passwords. Only hashes are
// stored, never plaintext. New hashes are argon2id (RFC 9106) in the PHC
// string format that Dovecot's {ARGON2ID} scheme and libargon2 also use:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<key b64>
package password

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Parameters for new hashes: OWASP's minimum recommendation for argon2id
// (19 MiB, 2 passes, 1 lane). RFC 9106 §4's 64 MiB profile costs too much per
// login on a mail server polled by many POP3 clients every minute; these still
// cost an attacker ~20 ms of one core and 19 MiB per guess.
const (
	memoryKiB = 19 * 1024
	passes    = 2
	lanes     = 1
	saltLen   = 16
	keyLen    = 32
)

// ErrUnknownScheme is returned for a stored hash this package cannot verify.
var ErrUnknownScheme = errors.New("unknown password hash scheme")

var b64 = base64.RawStdEncoding

// Hash returns a new argon2id hash of pw with a random salt.
func Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("reading random salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, passes, memoryKiB, lanes, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, memoryKiB, passes, lanes, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches hash: a native argon2id hash, or one
// imported from Dovecot in any scheme of schemes.go. A malformed or
// unknown hash is an error, not a mismatch, so that the administrator
// hears of it.
func Verify(hash, pw string) (bool, error) {
	if strings.HasPrefix(hash, "$argon2id$") {
		return verifyArgon2(hash, pw)
	}
	return verifyImported(hash, pw)
}
