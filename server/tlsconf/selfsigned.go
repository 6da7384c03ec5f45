package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Self-signed certificate files, in SelfSignedDir under the data directory.
const (
	SelfSignedDir  = "tls"
	SelfSignedCert = "selfsigned.crt"
	SelfSignedKey  = "selfsigned.key"
)

// selfSignedValidity is how long a generated certificate is valid. It is
// not trusted by anyone but those who pinned its fingerprint, so a long
// life spares them a new one every year.
const selfSignedValidity = 10 * 365 * 24 * time.Hour

// renewBefore: a generated certificate this close to expiry is replaced
// at start instead of reused.
const renewBefore = 30 * 24 * time.Hour

// SelfSigned returns the self-signed certificate kept in dataDir,
// generating it on first use (or when the kept one is unreadable or near
// expiry). created reports whether it was generated now. hosts are the DNS
// names and IP addresses the certificate names; "localhost", 127.0.0.1 and
// ::1 are always among them.
func SelfSigned(dataDir string, hosts []string) (c *Certificate, created bool, err error) {
	dir := filepath.Join(dataDir, SelfSignedDir)
	certFile, keyFile := filepath.Join(dir, SelfSignedCert), filepath.Join(dir, SelfSignedKey)
	// A kept pair that does not load (damaged by hand, or half of it
	// removed) is replaced rather than refused: it is ours, nobody
	// configured it, and the new fingerprint is logged.
	if c, err := Load(certFile, keyFile); err == nil && time.Until(c.Leaf().NotAfter) > renewBefore {
		return c, false, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("creating %s: %w", dir, err)
	}
	certPEM, keyPEM, err := generateSelfSigned(hosts, time.Now())
	if err != nil {
		return nil, false, err
	}
	// The key first: a cert file without its key is never left behind
	// as the newer of the two.
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return nil, false, err
	}
	if err := writeFileAtomic(certFile, certPEM, 0o644); err != nil {
		return nil, false, err
	}
	c, err = Load(certFile, keyFile)
	if err != nil {
		return nil, false, err
	}
	return c, true, nil
}

// generateSelfSigned makes an ECDSA P-256 key and a certificate for hosts
// valid from now (less an hour, for clients with slow clocks).
func generateSelfSigned(hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("generating certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Ferrymail self-signed"}, CommonName: "localhost"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		// A CA for itself, so that a client can be given this file as
		// its trust anchor (curl --cacert, openssl -CAfile).
		IsCA: true,
	}
	seen := map[string]bool{}
	for _, h := range append([]string{"localhost", "127.0.0.1", "::1"}, hosts...) {
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("creating self-signed certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding TLS key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// writeFileAtomic writes data to a temporary file in name's directory,
// syncs it and renames it over name, so that a crash leaves the old file
// or the new one, never half of one.
func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename, this finds nothing
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
