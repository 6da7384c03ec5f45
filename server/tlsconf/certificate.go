package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync/atomic"
)

// Certificate is a certificate and key read from PEM files. It is safe for
// concurrent use: handshakes read the current certificate while Reload
// replaces it.
type Certificate struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// Load reads certFile (the chain, leaf first) and keyFile.
func Load(certFile, keyFile string) (*Certificate, error) {
	c := &Certificate{certFile: certFile, keyFile: keyFile}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the files again and, when they hold a valid pair, serves
// them to every handshake from now on. On error the certificate in use is
// kept: a half-written renewal must not take TLS down.
func (c *Certificate) Reload() error {
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("loading TLS certificate %s and key %s: %w", c.certFile, c.keyFile, err)
	}
	// Leaf is filled in by LoadX509KeyPair since Go 1.23; parse it
	// ourselves if it is not, for the fingerprint and expiry.
	if pair.Leaf == nil {
		if pair.Leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("parsing TLS certificate %s: %w", c.certFile, err)
		}
	}
	c.cur.Store(&pair)
	return nil
}

// Files returns the certificate and key file names.
func (c *Certificate) Files() (certFile, keyFile string) { return c.certFile, c.keyFile }

// Leaf returns the certificate currently served.
func (c *Certificate) Leaf() *x509.Certificate { return c.cur.Load().Leaf }

// Fingerprint returns the SHA-256 fingerprint of the certificate currently
// served, in the form openssl x509 -fingerprint -sha256 prints.
func (c *Certificate) Fingerprint() string { return Fingerprint(c.Leaf()) }

// GetCertificate is the tls.Config hook: every handshake asks for the
// current certificate, which is how a reload reaches new connections
// without touching established ones.
func (c *Certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cur.Load(), nil
}

// ServerConfig returns the tls.Config for the IMAP and POP3 listeners.
func (c *Certificate) ServerConfig() *tls.Config {
	return &tls.Config{
		// RFC 8996 deprecates TLS 1.0 and 1.1; RFC 8314 §4.1 asks for
		// TLS 1.2 or later for mail access.
		MinVersion:     tls.VersionTLS12,
		GetCertificate: c.GetCertificate,
	}
}
