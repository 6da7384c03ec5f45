package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSelfSignedIsMadeOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	c1, created, err := SelfSigned(dir, []string{"mail.example.org", "192.0.2.7", "mail.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Errorf("first call: created = false, want true")
	}
	keyFile := filepath.Join(dir, SelfSignedDir, SelfSignedKey)
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %v, want 0600", perm)
	}
	leaf := c1.Leaf()
	if err := leaf.VerifyHostname("mail.example.org"); err != nil {
		t.Errorf("certificate does not name the host given: %v", err)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "192.0.2.7"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("certificate does not name %s: %v", h, err)
		}
	}
	if len(leaf.DNSNames) != 2 {
		t.Errorf("DNS names %v, want localhost and mail.example.org once each", leaf.DNSNames)
	}

	c2, created, err := SelfSigned(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Errorf("second call: created = true, want the kept certificate reused")
	}
	if c1.Fingerprint() != c2.Fingerprint() {
		t.Errorf("fingerprint changed across calls: %s, then %s", c1.Fingerprint(), c2.Fingerprint())
	}
	// Its own trust anchor: a client given the file verifies the server.
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Errorf("the certificate does not verify against itself: %v", err)
	}
}

func TestSelfSignedReplacesADamagedPair(t *testing.T) {
	dir := t.TempDir()
	c1, _, err := SelfSigned(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, SelfSignedDir, SelfSignedKey), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	c2, created, err := SelfSigned(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !created || c2.Fingerprint() == c1.Fingerprint() {
		t.Errorf("a damaged pair was not replaced (created=%v)", created)
	}
}

func TestSelfSignedReplacesOneNearExpiry(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, err := generateSelfSigned(nil, time.Now().Add(-selfSignedValidity+renewBefore/2))
	if err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, SelfSignedDir)
	if err := os.MkdirAll(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(filepath.Join(sub, SelfSignedKey), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(filepath.Join(sub, SelfSignedCert), certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	c, created, err := SelfSigned(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !created || time.Until(c.Leaf().NotAfter) < selfSignedValidity/2 {
		t.Errorf("a certificate within %v of expiry was reused (created=%v, not after %v)", renewBefore, created, c.Leaf().NotAfter)
	}
}

// TestReloadSwapsAndKeepsOnError: a handshake after Reload gets the new
// certificate; a connection made before keeps working; a bad file keeps
// the old certificate.
func TestReloadSwapsAndKeepsOnError(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePair(t, certFile, keyFile)
	c, err := Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	first := c.Fingerprint()

	ln, err := tls.Listen("tcp", "127.0.0.1:0", c.ServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go echoServer(ln)

	old := dial(t, ln.Addr().String())
	defer old.Close()
	if got := peerFingerprint(old); got != first {
		t.Fatalf("served %s, want %s", got, first)
	}

	writePair(t, certFile, keyFile)
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	second := c.Fingerprint()
	if second == first {
		t.Fatal("Reload did not change the certificate")
	}
	fresh := dial(t, ln.Addr().String())
	defer fresh.Close()
	if got := peerFingerprint(fresh); got != second {
		t.Errorf("a new connection after Reload got %s, want %s", got, second)
	}
	echo(t, old, "still here\n")

	if err := os.WriteFile(keyFile, []byte("half a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err == nil {
		t.Fatal("Reload of a bad key succeeded")
	}
	if c.Fingerprint() != second {
		t.Errorf("a failed Reload changed the certificate")
	}
	third := dial(t, ln.Addr().String())
	defer third.Close()
	if got := peerFingerprint(third); got != second {
		t.Errorf("after a failed Reload, served %s, want %s", got, second)
	}
}

func TestServerConfigRefusesOldTLS(t *testing.T) {
	dir := t.TempDir()
	c, _, err := SelfSigned(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", c.ServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go echoServer(ln)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(),
			&tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
		if err == nil {
			conn.Close()
			t.Errorf("a %s handshake succeeded", tls.VersionName(v))
		}
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(),
			&tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
		if err != nil {
			t.Errorf("a %s handshake failed: %v", tls.VersionName(v), err)
			continue
		}
		conn.Close()
	}
}

func TestFingerprintFormat(t *testing.T) {
	// SHA-256("abc") is the FIPS 180-2 example digest.
	got := Fingerprint(&x509.Certificate{Raw: []byte("abc")})
	want := "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
	if got != want {
		t.Errorf("Fingerprint = %s, want %s", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "no.pem"), filepath.Join(dir, "no.key")); err == nil {
		t.Error("Load of missing files succeeded")
	}
}

// writePair writes a new self-signed pair to the two files.
func writePair(t *testing.T, certFile, keyFile string) {
	t.Helper()
	certPEM, keyPEM, err := generateSelfSigned(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
}

// echoServer echoes each connection's lines until the listener closes.
func echoServer(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			buf := make([]byte, 512)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}()
	}
}

func dial(t *testing.T, addr string) *tls.Conn {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func peerFingerprint(c *tls.Conn) string {
	return Fingerprint(c.ConnectionState().PeerCertificates[0])
}

func echo(t *testing.T, c *tls.Conn, line string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(line)); err != nil {
		t.Fatalf("writing on the connection made before the reload: %v", err)
	}
	buf := make([]byte, len(line))
	if _, err := c.Read(buf); err != nil || string(buf) != line {
		t.Fatalf("the connection made before the reload: read %q, %v", buf, err)
	}
}
