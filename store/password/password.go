// Package password hashes and verifies account passwords. Only hashes are
// stored, never plaintext. New hashes are argon2id (RFC 9106) in the PHC
// string format that Dovecot's {ARGON2ID} scheme and libargon2 also use:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<key b64>
package password

import (
	"crypto/rand"
	"crypto/subtle"
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

// Verify reports whether pw matches hash. A malformed or unknown hash is an
// error, not a mismatch, so that the administrator hears of it.
func Verify(hash, pw string) (bool, error) {
	if !strings.HasPrefix(hash, "$argon2id$") {
		return false, ErrUnknownScheme
	}
	var version, m, t int
	var p uint8
	fields := strings.Split(hash, "$") // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(fields) != 6 {
		return false, fmt.Errorf("argon2id hash: %d fields, want 6", len(fields))
	}
	if _, err := fmt.Sscanf(fields[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("argon2id hash: unsupported version %q", fields[2])
	}
	if _, err := fmt.Sscanf(fields[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m <= 0 || t <= 0 || p == 0 {
		return false, fmt.Errorf("argon2id hash: bad parameters %q", fields[3])
	}
	// Bound the parameters: a hash from an imported passwd file must not be
	// able to make one login allocate gigabytes.
	if m > 256*1024 || t > 16 { // 256 MiB, 16 passes
		return false, fmt.Errorf("argon2id hash: parameters %q too large", fields[3])
	}
	salt, err := b64.DecodeString(fields[4])
	if err != nil {
		return false, fmt.Errorf("argon2id hash: salt: %w", err)
	}
	key, err := b64.DecodeString(fields[5])
	if err != nil || len(key) == 0 || len(key) > 1024 {
		return false, fmt.Errorf("argon2id hash: bad key")
	}
	got := argon2.IDKey([]byte(pw), salt, uint32(t), uint32(m), p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}
