package password

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/GehirnInc/crypt"
	_ "github.com/GehirnInc/crypt/md5_crypt"    // $1$, Dovecot {MD5-CRYPT}
	_ "github.com/GehirnInc/crypt/sha256_crypt" // $5$, Dovecot {SHA256-CRYPT}
	_ "github.com/GehirnInc/crypt/sha512_crypt" // $6$, Dovecot {SHA512-CRYPT}
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Hashes imported from Dovecot (passwd-file, "ferrymail user import") are
// stored as they were, with Dovecot's "{SCHEME}" prefix; a hash without
// one is Dovecot's default scheme, CRYPT. Native hashes are bare PHC
// argon2id strings. The schemes, as Dovecot's doc/wiki "Password
// Schemes" describes them:
//
//	{SHA512-CRYPT} {SHA256-CRYPT}  Drepper's SHA-crypt, $6$ / $5$ (glibc crypt)
//	{BLF-CRYPT}                    bcrypt, $2a$ $2b$ $2y$
//	{MD5-CRYPT}                    $1$
//	{CRYPT}                        whichever of the above its $id$ says (DES is not supported)
//	{ARGON2ID} {ARGON2I}           PHC strings, $argon2id$ / $argon2i$
//	{SSHA512} {SSHA256} {SSHA}     base64(SHA-x(password + salt) + salt)
//	{SHA512} {SHA256} {SHA}        base64 (or hex, by length) SHA-x(password)
//	{PLAIN} {CLEARTEXT}            the password itself
//
// Scheme names ignore case. The digest schemes also take Dovecot's
// encoding suffix, {SHA256.HEX} or {SSHA.B64}.

// Cost limits for imported hashes: a hash from a passwd file must not be
// able to make one login take minutes. Both are above any default we know
// of (glibc and Dovecot 5000 rounds, passlib 656000; bcrypt cost 5–12).
const (
	maxCryptRounds = 1_000_000
	maxBcryptCost  = 15
)

// scheme is one supported scheme.
type scheme struct {
	verify func(stored, pw string, enc encoding) (bool, error)
}

// encoding is a digest's encoding: Dovecot's default (base64, or hex when
// the length says so), or forced by a ".HEX"/".B64" suffix.
type encoding uint8

const (
	encDefault encoding = iota
	encHex
	encBase64
)

var schemes = map[string]scheme{
	"SHA512-CRYPT": {verify: cryptWith("$6$")},
	"SHA256-CRYPT": {verify: cryptWith("$5$")},
	"MD5-CRYPT":    {verify: cryptWith("$1$")},
	"BLF-CRYPT":    {verify: cryptWith("$2")},
	"CRYPT":        {verify: cryptWith("")},
	"ARGON2ID":     {verify: phcWith("$argon2id$")},
	"ARGON2I":      {verify: phcWith("$argon2i$")},
	"SSHA512":      {verify: saltedDigest(sha512.New)},
	"SSHA256":      {verify: saltedDigest(sha256.New)},
	"SSHA":         {verify: saltedDigest(sha1.New)},
	"SHA512":       {verify: digest(sha512.New)},
	"SHA256":       {verify: digest(sha256.New)},
	"SHA":          {verify: digest(sha1.New)},
	"SHA1":         {verify: digest(sha1.New)},
	"PLAIN":        {verify: plain},
	"CLEARTEXT":    {verify: plain},
}

// splitScheme splits "{SCHEME.ENC}rest" into the upper-cased scheme, its
// encoding and rest. A hash without "{" has scheme "" and is returned
// whole.
func splitScheme(h string) (name string, enc encoding, rest string, err error) {
	if !strings.HasPrefix(h, "{") {
		return "", encDefault, h, nil
	}
	end := strings.IndexByte(h, '}')
	if end < 0 {
		return "", encDefault, "", errors.New("scheme prefix without closing brace")
	}
	name, suffix, _ := strings.Cut(strings.ToUpper(h[1:end]), ".")
	switch suffix {
	case "":
	case "HEX":
		enc = encHex
	case "B64", "BASE64":
		enc = encBase64
	default:
		return "", encDefault, "", fmt.Errorf("{%s}: unknown encoding %q", name, suffix)
	}
	return name, enc, h[end+1:], nil
}

// Scheme returns the scheme of a stored hash: "ARGON2ID-NATIVE" for the
// hashes Hash makes, "CRYPT" for an untagged crypt(3) string, otherwise
// Dovecot's name, upper-cased. It fails with ErrUnknownScheme for a
// scheme Verify cannot check, without verifying anything (cheap enough
// for checking a whole passwd file).
func Scheme(h string) (string, error) {
	if strings.HasPrefix(h, "$argon2id$") {
		return "ARGON2ID-NATIVE", nil
	}
	name, _, rest, err := splitScheme(h)
	if err != nil {
		return "", err
	}
	if name == "" {
		name = "CRYPT" // Dovecot's default scheme
	}
	if _, ok := schemes[name]; !ok {
		return "", fmt.Errorf("%w: {%s}", ErrUnknownScheme, name)
	}
	if name == "CRYPT" && cryptID(rest) == "" {
		return "", fmt.Errorf("%w: {CRYPT} hash that is not $1$, $2?$, $5$ or $6$ (DES crypt is not supported)", ErrUnknownScheme)
	}
	return name, nil
}

// NeedsRehash reports whether a stored hash is other than the native
// scheme, so that a successful login may replace it.
func NeedsRehash(h string) bool { return !strings.HasPrefix(h, "$argon2id$") }

// verifyImported checks pw against a hash in one of the schemes above.
func verifyImported(h, pw string) (bool, error) {
	name, enc, rest, err := splitScheme(h)
	if err != nil {
		return false, err
	}
	if name == "" {
		name = "CRYPT"
	}
	sc, ok := schemes[name]
	if !ok {
		return false, fmt.Errorf("%w: {%s}", ErrUnknownScheme, name)
	}
	return sc.verify(rest, pw, enc)
}

// cryptID returns the "$id$" of a crypt(3) string we can verify, or "".
func cryptID(s string) string {
	for _, id := range []string{"$1$", "$5$", "$6$", "$2a$", "$2b$", "$2y$"} {
		if strings.HasPrefix(s, id) {
			return id
		}
	}
	return ""
}

// cryptWith verifies a crypt(3) string whose $id$ starts with want (any
// supported one for "").
func cryptWith(want string) func(string, string, encoding) (bool, error) {
	return func(stored, pw string, _ encoding) (bool, error) {
		id := cryptID(stored)
		if id == "" || !strings.HasPrefix(id, want) {
			return false, fmt.Errorf("%w: crypt string %.4q… does not match its scheme", ErrUnknownScheme, stored)
		}
		if strings.HasPrefix(id, "$2") {
			cost, err := bcrypt.Cost([]byte(stored))
			if err != nil {
				return false, fmt.Errorf("bcrypt hash: %w", err)
			}
			if cost > maxBcryptCost {
				return false, fmt.Errorf("bcrypt hash: cost %d above %d", cost, maxBcryptCost)
			}
			err = bcrypt.CompareHashAndPassword([]byte(stored), []byte(pw))
			if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
				return false, nil
			}
			return err == nil, err
		}
		if r, ok := strings.CutPrefix(stored[len(id):], "rounds="); ok {
			n, _, _ := strings.Cut(r, "$")
			rounds, err := strconv.Atoi(n)
			if err != nil || rounds > maxCryptRounds {
				return false, fmt.Errorf("SHA-crypt hash: rounds %q not a number up to %d", n, maxCryptRounds)
			}
		}
		var c crypt.Crypter
		var sumLen int // characters of the final field
		switch id {
		case "$1$":
			c, sumLen = crypt.MD5.New(), 22
		case "$5$":
			c, sumLen = crypt.SHA256.New(), 43
		default:
			c, sumLen = crypt.SHA512.New(), 86
		}
		// A truncated string would otherwise be a mismatch, not an error.
		if i := strings.LastIndexByte(stored, '$'); len(stored)-i-1 != sumLen {
			return false, fmt.Errorf("crypt hash %.4q…: final field is not %d characters", stored, sumLen)
		}
		err := c.Verify(stored, []byte(pw))
		if errors.Is(err, crypt.ErrKeyMismatch) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("crypt hash: %w", err)
		}
		return true, nil
	}
}

// phcWith verifies an argon2 PHC string of the given variant.
func phcWith(prefix string) func(string, string, encoding) (bool, error) {
	return func(stored, pw string, _ encoding) (bool, error) {
		if !strings.HasPrefix(stored, prefix) {
			return false, fmt.Errorf("%w: %s hash expected", ErrUnknownScheme, strings.Trim(prefix, "$"))
		}
		return verifyArgon2(stored, pw)
	}
}

// decodeDigest decodes a digest as Dovecot does: base64 unless the
// encoding says hex or the length is that of hex for size bytes.
func decodeDigest(s string, enc encoding, size int) ([]byte, error) {
	if enc == encHex || (enc == encDefault && size > 0 && len(s) == 2*size) {
		if b, err := hex.DecodeString(s); err == nil || enc == encHex {
			return b, err
		}
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	return b, err
}

// digest verifies base64(H(pw)).
func digest(newHash func() hash.Hash) func(string, string, encoding) (bool, error) {
	return func(stored, pw string, enc encoding) (bool, error) {
		h := newHash()
		want, err := decodeDigest(stored, enc, h.Size())
		if err != nil || len(want) != h.Size() {
			return false, fmt.Errorf("digest hash: not %d bytes of base64 or hex", h.Size())
		}
		h.Write([]byte(pw))
		return subtle.ConstantTimeCompare(h.Sum(nil), want) == 1, nil
	}
}

// saltedDigest verifies base64(H(pw + salt) + salt), the {SSHA*} schemes.
func saltedDigest(newHash func() hash.Hash) func(string, string, encoding) (bool, error) {
	return func(stored, pw string, enc encoding) (bool, error) {
		h := newHash()
		raw, err := decodeDigest(stored, enc, 0)
		if err != nil || len(raw) <= h.Size() {
			return false, fmt.Errorf("salted digest hash: not base64 of a %d-byte digest and a salt", h.Size())
		}
		want, salt := raw[:h.Size()], raw[h.Size():]
		h.Write([]byte(pw))
		h.Write(salt)
		return subtle.ConstantTimeCompare(h.Sum(nil), want) == 1, nil
	}
}

func plain(stored, pw string, enc encoding) (bool, error) {
	if enc != encDefault {
		b, err := decodeDigest(stored, enc, 0)
		if err != nil {
			return false, fmt.Errorf("plain password: %w", err)
		}
		stored = string(b)
	}
	return subtle.ConstantTimeCompare([]byte(stored), []byte(pw)) == 1, nil
}

// verifyArgon2 verifies a PHC string, $argon2id$ or $argon2i$:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<key b64>
func verifyArgon2(h, pw string) (bool, error) {
	fields := strings.Split(h, "$") // "", variant, "v=19", "m=..,t=..,p=..", salt, key
	if len(fields) != 6 {
		return false, fmt.Errorf("argon2 hash: %d fields, want 6", len(fields))
	}
	variant := fields[1]
	var version, m, t int
	var p uint8
	if _, err := fmt.Sscanf(fields[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("%s hash: unsupported version %q", variant, fields[2])
	}
	if _, err := fmt.Sscanf(fields[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m <= 0 || t <= 0 || p == 0 {
		return false, fmt.Errorf("%s hash: bad parameters %q", variant, fields[3])
	}
	// Bound the parameters: a hash from an imported passwd file must not be
	// able to make one login allocate gigabytes.
	if m > 256*1024 || t > 16 { // 256 MiB, 16 passes
		return false, fmt.Errorf("%s hash: parameters %q too large", variant, fields[3])
	}
	salt, err := b64.DecodeString(fields[4])
	if err != nil {
		return false, fmt.Errorf("%s hash: salt: %w", variant, err)
	}
	key, err := b64.DecodeString(fields[5])
	if err != nil || len(key) == 0 || len(key) > 1024 {
		return false, fmt.Errorf("%s hash: bad key", variant)
	}
	var got []byte
	switch variant {
	case "argon2id":
		got = argon2.IDKey([]byte(pw), salt, uint32(t), uint32(m), p, uint32(len(key)))
	case "argon2i":
		got = argon2.Key([]byte(pw), salt, uint32(t), uint32(m), p, uint32(len(key)))
	default:
		return false, fmt.Errorf("%w: %s", ErrUnknownScheme, variant)
	}
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}
