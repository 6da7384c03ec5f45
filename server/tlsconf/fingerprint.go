package tlsconf

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"
)

// Fingerprint returns the SHA-256 digest of cert's DER bytes as upper-case
// hex pairs joined by colons ("AB:CD:…"), the form that openssl x509
// -fingerprint -sha256 and most mail clients' certificate dialogs show.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	pairs := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		pairs = append(pairs, h[i:i+2])
	}
	return strings.Join(pairs, ":")
}
