package tests

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The TLS end-to-end tests (issue 7): implicit TLS (IMAPS, POP3S, RFC 8314
// §3.3) and STARTTLS/STLS (RFC 9051 §6.2.1, RFC 2595) on the built binary,
// driven by curl, Python's imaplib and poplib and openssl s_client; the
// self-signed certificate made on first start and reused; certificate
// reload on SIGHUP without dropping sessions.

// tlsBody is the message the TLS tests fetch over every kind of connection.
const tlsBody = "From: a@example.org\r\nSubject: over TLS\r\nMessage-ID: <tls@example.org>\r\n\r\nsecret body\r\n"

var (
	generatedRE = regexp.MustCompile(`msg="TLS certificate: self-signed, generated" cert=(\S+) sha256=(\S+)`)
	reusedRE    = regexp.MustCompile(`msg="TLS certificate: self-signed, reused" cert=(\S+) sha256=(\S+)`)
)

// selfSignedFile is where serve keeps its self-signed certificate.
func selfSignedFile(dir string) string { return filepath.Join(dir, "tls", "selfsigned.crt") }

// TestTLSCurl: curl over imaps:// and pop3s://, and over imap:// and
// pop3:// with --ssl-reqd (STARTTLS, STLS), trusting the self-signed
// certificate that serve generated; without it curl refuses the server.
func TestTLSCurl(t *testing.T) {
	t.Parallel()
	curl := needTool(t, "curl")
	dir := t.TempDir()
	imapSeed(t, dir, "INBOX", tlsBody)
	srv := startServe(t, dir, "--imaps", "127.0.0.1:0", "--pop3s", "127.0.0.1:0")
	ca := selfSignedFile(dir)
	user := imapUser + ":" + imapPass
	fetch := func(url string, extra ...string) (string, int) {
		t.Helper()
		return runTool(t, nil, curl, append([]string{"-sS", "--max-time", "20", "-u", user, url}, extra...)...)
	}
	cases := []struct{ name, url string }{
		{"IMAPS", "imaps://" + serviceAddr(t, srv, "imaps") + "/INBOX;UID=1"},
		{"POP3S", "pop3s://" + serviceAddr(t, srv, "pop3s") + "/1"},
		{"IMAP STARTTLS", "imap://" + serviceAddr(t, srv, "imap") + "/INBOX;UID=1"},
		{"POP3 STLS", "pop3://" + serviceAddr(t, srv, "pop3") + "/1"},
	}
	for _, c := range cases {
		out, code := fetch(c.url, "--cacert", ca, "--ssl-reqd")
		if code != 0 || out != tlsBody {
			t.Errorf("%s: curl exited %d, got %q, want %q", c.name, code, out, tlsBody)
		}
		// Not trusting the certificate, curl must refuse: proof that the
		// body above came over TLS, checked against the generated file.
		if out, code := fetch(c.url, "--ssl-reqd"); code != 60 {
			t.Errorf("%s without --cacert: curl exited %d, want 60 (certificate not trusted):\n%s", c.name, code, out)
		}
	}
	srv.sigterm(t)
}

// imaplibTLSScript logs in and fetches message 1 over IMAPS, over IMAP
// after STARTTLS, over POP3S and over POP3 after STLS, verifying the
// server against the CA file given, and prints one JSON object per way.
const imaplibTLSScript = `
import imaplib, json, poplib, ssl, sys
ca, imaps, imap, pop3s, pop3, user, password = sys.argv[1:]
ctx = ssl.create_default_context(cafile=ca)
def hp(a):
    h, p = a.rsplit(":", 1)
    return h, int(p)
def imap_fetch(m, way, before):
    m.login(user, password)
    m.select("INBOX")
    typ, data = m.fetch("1", "(BODY[])")
    print(json.dumps({"way": way, "version": m.sock.version(), "caps_before": before,
                      "body": data[0][1].decode()}))
    m.logout()
def pop_fetch(p, way, before):
    p.user(user)
    p.pass_(password)
    resp, lines, octets = p.retr(1)
    print(json.dumps({"way": way, "version": p.sock.version(), "caps_before": before,
                      "body": "".join(l.decode() + "\r\n" for l in lines)}))
    p.quit()
m = imaplib.IMAP4_SSL(*hp(imaps), ssl_context=ctx, timeout=20)
imap_fetch(m, "IMAP4_SSL", list(m.capabilities))
m = imaplib.IMAP4(*hp(imap), timeout=20)
before = list(m.capabilities)
m.starttls(ssl_context=ctx)
imap_fetch(m, "IMAP4.starttls", before)
p = poplib.POP3_SSL(*hp(pop3s), context=ctx, timeout=20)
pop_fetch(p, "POP3_SSL", list(p.capa()))
p = poplib.POP3(*hp(pop3), timeout=20)
before = list(p.capa())
p.stls(context=ctx)
pop_fetch(p, "POP3.stls", before)
`

// TestTLSPythonClients: imaplib.IMAP4_SSL, IMAP4.starttls, poplib.POP3_SSL
// and POP3.stls, each checking the certificate and host name.
func TestTLSPythonClients(t *testing.T) {
	t.Parallel()
	python := needTool(t, "python3")
	dir := t.TempDir()
	imapSeed(t, dir, "INBOX", tlsBody)
	srv := startServe(t, dir, "--imaps", "127.0.0.1:0", "--pop3s", "127.0.0.1:0")
	script := filepath.Join(t.TempDir(), "tls_clients.py")
	if err := os.WriteFile(script, []byte(imaplibTLSScript), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runTool(t, nil, python, script, selfSignedFile(dir),
		serviceAddr(t, srv, "imaps"), serviceAddr(t, srv, "imap"),
		serviceAddr(t, srv, "pop3s"), serviceAddr(t, srv, "pop3"), imapUser, imapPass)
	if code != 0 {
		t.Fatalf("python TLS clients exited %d:\n%s", code, out)
	}
	seen := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var r struct {
			Way, Version, Body string
			CapsBefore         []string `json:"caps_before"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("python output %q: %v", line, err)
		}
		seen[r.Way] = true
		if r.Version != "TLSv1.3" && r.Version != "TLSv1.2" {
			t.Errorf("%s: TLS version %q, want TLSv1.2 or TLSv1.3", r.Way, r.Version)
		}
		if r.Body != tlsBody {
			t.Errorf("%s: body %q, want %q", r.Way, r.Body, tlsBody)
		}
		caps := strings.ToUpper(strings.Join(r.CapsBefore, " "))
		switch r.Way {
		case "IMAP4.starttls":
			if !strings.Contains(caps, "STARTTLS") {
				t.Errorf("plain IMAP does not advertise STARTTLS: %v", r.CapsBefore)
			}
		case "POP3.stls":
			if !strings.Contains(caps, "STLS") {
				t.Errorf("plain POP3 does not advertise STLS: %v", r.CapsBefore)
			}
		case "IMAP4_SSL":
			// RFC 9051 §6.2.1: no STARTTLS on a connection that has TLS.
			if strings.Contains(caps, "STARTTLS") {
				t.Errorf("IMAPS advertises STARTTLS: %v", r.CapsBefore)
			}
		case "POP3_SSL":
			if strings.Contains(caps, "STLS") {
				t.Errorf("POP3S advertises STLS: %v", r.CapsBefore)
			}
		}
	}
	for _, w := range []string{"IMAP4_SSL", "IMAP4.starttls", "POP3_SSL", "POP3.stls"} {
		if !seen[w] {
			t.Errorf("no result for %s:\n%s", w, out)
		}
	}
	srv.sigterm(t)
}

// TestTLSOpenSSLVersions: openssl s_client completes TLS 1.2 and TLS 1.3
// handshakes, on the implicit-TLS listeners and after STARTTLS/STLS, and
// the server refuses TLS 1.1 and 1.0 with a protocol_version alert
// (RFC 8996), even from a client willing to use them (SECLEVEL=0).
func TestTLSOpenSSLVersions(t *testing.T) {
	t.Parallel()
	openssl := needTool(t, "openssl")
	dir := t.TempDir()
	srv := startServe(t, dir, "--imaps", "127.0.0.1:0", "--pop3s", "127.0.0.1:0")
	ca := selfSignedFile(dir)
	targets := []struct {
		name string
		args []string
	}{
		{"IMAPS", []string{"-connect", serviceAddr(t, srv, "imaps")}},
		{"POP3S", []string{"-connect", serviceAddr(t, srv, "pop3s")}},
		{"IMAP STARTTLS", []string{"-connect", serviceAddr(t, srv, "imap"), "-starttls", "imap"}},
		{"POP3 STLS", []string{"-connect", serviceAddr(t, srv, "pop3"), "-starttls", "pop3"}},
	}
	for _, tg := range targets {
		for _, v := range []struct {
			flag, protocol string
			accepted       bool
		}{
			{"-tls1_2", "TLSv1.2", true},
			{"-tls1_3", "TLSv1.3", true},
			{"-tls1_1", "TLSv1.1", false},
			{"-tls1", "TLSv1", false},
		} {
			args := append([]string{"s_client", "-CAfile", ca, "-verify_return_error", v.flag, "-cipher", "DEFAULT@SECLEVEL=0"}, tg.args...)
			out, code := runToolStdin(t, "", openssl, args...)
			if v.accepted {
				if code != 0 || !strings.Contains(out, "Protocol  : "+v.protocol+"\n") || !strings.Contains(out, "Verify return code: 0 (ok)") {
					t.Errorf("%s %s: exit %d, want a verified %s session:\n%s", tg.name, v.flag, code, v.protocol, out)
				}
				continue
			}
			if code == 0 || !strings.Contains(out, "alert protocol version") {
				t.Errorf("%s %s: exit %d, want the server's protocol_version alert:\n%s", tg.name, v.flag, code, out)
			}
		}
	}
	srv.sigterm(t)
}

// TestTLSSelfSignedReusedAcrossRestarts: the first start generates a
// certificate in the data directory (key 0600) and logs the fingerprint
// that openssl computes for the file; the next start reuses it.
func TestTLSSelfSignedReusedAcrossRestarts(t *testing.T) {
	t.Parallel()
	openssl := needTool(t, "openssl")
	dir := t.TempDir()
	srv := startServe(t, dir, "--pop3s", "127.0.0.1:0")
	m := waitLog(t, srv, generatedRE, "the generated certificate")
	first := m[2]
	if m[1] != selfSignedFile(dir) {
		t.Errorf("certificate logged at %s, want %s", m[1], selfSignedFile(dir))
	}
	out, code := runTool(t, nil, openssl, "x509", "-in", selfSignedFile(dir), "-noout", "-fingerprint", "-sha256")
	if code != 0 || strings.TrimSpace(out) != "sha256 Fingerprint="+first {
		t.Errorf("openssl fingerprint of the file: %q (exit %d), logged sha256=%s", out, code, first)
	}
	fi, err := os.Stat(filepath.Join(dir, "tls", "selfsigned.key"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key mode %v, want 0600", perm)
	}
	// What the listener serves is that certificate.
	if got := servedFingerprint(t, openssl, serviceAddr(t, srv, "pop3s")); got != first {
		t.Errorf("POP3S serves %s, logged %s", got, first)
	}
	srv.sigterm(t)

	srv = startServe(t, dir, "--pop3s", "127.0.0.1:0")
	if m := waitLog(t, srv, reusedRE, "the reused certificate"); m[2] != first {
		t.Errorf("second start: fingerprint %s, want the first start's %s", m[2], first)
	}
	if generatedRE.MatchString(srv.stderr.String()) {
		t.Errorf("second start generated a new certificate:\n%s", srv.stderr)
	}
	if got := servedFingerprint(t, openssl, serviceAddr(t, srv, "pop3s")); got != first {
		t.Errorf("after restart POP3S serves %s, want %s", got, first)
	}
	srv.sigterm(t)
}

// TestTLSReloadOnSIGHUP: new certificate files and SIGHUP; a new
// connection (implicit TLS and STARTTLS) gets the new certificate while an
// IMAPS session opened before keeps working; a broken file and SIGHUP keep
// the certificate in use; the server never stops.
func TestTLSReloadOnSIGHUP(t *testing.T) {
	t.Parallel()
	openssl := needTool(t, "openssl")
	dir := t.TempDir()
	imapSeed(t, dir, "INBOX", tlsBody)
	ca := newTestCA(t)
	files := t.TempDir()
	certFile, keyFile := filepath.Join(files, "cert.pem"), filepath.Join(files, "key.pem")
	first := ca.issue(t, certFile, keyFile)
	srv := startServe(t, dir, "--imaps", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	if m := waitLog(t, srv, regexp.MustCompile(`msg="TLS certificate loaded" cert=\S+ sha256=(\S+)`), "the loaded certificate"); m[1] != first {
		t.Fatalf("logged fingerprint %s, want %s", m[1], first)
	}
	imaps, imap := serviceAddr(t, srv, "imaps"), serviceAddr(t, srv, "imap")

	old := dialIMAPS(t, imaps, ca.pool)
	if got := old.fingerprint(); got != first {
		t.Fatalf("IMAPS served %s before the reload, want %s", got, first)
	}
	old.command(t, "LOGIN "+imapUser+` "`+imapPass+`"`)
	old.command(t, "SELECT INBOX")

	second := ca.issue(t, certFile, keyFile)
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if m := waitLog(t, srv, regexp.MustCompile(`msg="reload: TLS certificate loaded" cert=\S+ sha256=(\S+)`), "the reload"); m[1] != second {
		t.Fatalf("reload logged %s, want %s", m[1], second)
	}
	if got := servedFingerprint(t, openssl, imaps); got != second {
		t.Errorf("a new IMAPS connection after SIGHUP got %s, want the new %s", got, second)
	}
	if got := servedFingerprint(t, openssl, imap, "-starttls", "imap"); got != second {
		t.Errorf("STARTTLS after SIGHUP got %s, want the new %s", got, second)
	}
	// The session opened before the reload is still up, on its old
	// certificate, and still serves.
	if lines := old.command(t, "FETCH 1 (BODY[])"); !strings.Contains(strings.Join(lines, ""), "secret body") {
		t.Errorf("FETCH on the session opened before the reload: %q", lines)
	}
	old.command(t, "NOOP")

	// A broken key: the reload fails, is logged, and changes nothing.
	if err := os.WriteFile(keyFile, []byte("-----BEGIN PRIVATE KEY-----\nhalf\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, srv, regexp.MustCompile(`level=ERROR msg="reload: keeping the TLS certificate in use"`), "the failed reload")
	if got := servedFingerprint(t, openssl, imaps); got != second {
		t.Errorf("after a failed reload IMAPS serves %s, want %s", got, second)
	}
	old.command(t, "NOOP")
	old.command(t, "LOGOUT")
	select {
	case <-srv.exited:
		t.Fatalf("the server stopped after SIGHUP:\n%s", srv.stderr)
	default:
	}
	srv.sigterm(t)
}

// servedFingerprint asks openssl s_client for the certificate the server
// at addr presents and returns its SHA-256 fingerprint.
func servedFingerprint(t *testing.T, openssl, addr string, extra ...string) string {
	t.Helper()
	out, code := runToolStdin(t, "", openssl, append([]string{"s_client", "-connect", addr}, extra...)...)
	var block *pem.Block
	if i := strings.Index(out, "-----BEGIN CERTIFICATE-----"); i >= 0 {
		block, _ = pem.Decode([]byte(out[i:]))
	}
	if code != 0 || block == nil {
		t.Fatalf("openssl s_client %s: exit %d, no certificate:\n%s", addr, code, out)
	}
	return fingerprintOf(block.Bytes)
}

// fingerprintOf formats a SHA-256 digest as openssl -fingerprint does.
func fingerprintOf(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var pairs []string
	for i := 0; i < len(h); i += 2 {
		pairs = append(pairs, h[i:i+2])
	}
	return strings.Join(pairs, ":")
}

// runToolStdin is runTool with stdin (openssl s_client waits for it).
func runToolStdin(t *testing.T, stdin, name string, args ...string) (string, int) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(stdin); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// sh redirects the file, as a user would with </dev/null.
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return runTool(t, nil, "sh", "-c", fmt.Sprintf("exec %s %s <%s", name, strings.Join(quoted, " "), f.Name()))
}

// imapsConn is a minimal IMAP client on a TLS connection, to hold a
// session open across a reload.
type imapsConn struct {
	c   *tls.Conn
	r   *bufio.Reader
	tag int
}

func dialIMAPS(t *testing.T, addr string, roots *x509.CertPool) *imapsConn {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("dialling IMAPS: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	ic := &imapsConn{c: c, r: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(clientTimeout))
	if line, err := ic.r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "* OK") {
		t.Fatalf("IMAPS greeting %q, %v", line, err)
	}
	return ic
}

func (ic *imapsConn) fingerprint() string {
	return fingerprintOf(ic.c.ConnectionState().PeerCertificates[0].Raw)
}

// command sends one command and reads to its tagged response, which must
// be OK; it returns every line read.
func (ic *imapsConn) command(t *testing.T, cmd string) []string {
	t.Helper()
	ic.tag++
	tag := fmt.Sprintf("a%d", ic.tag)
	ic.c.SetDeadline(time.Now().Add(clientTimeout))
	if _, err := fmt.Fprintf(ic.c, "%s %s\r\n", tag, cmd); err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	var lines []string
	for range 1000 {
		line, err := ic.r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: reading: %v (after %q)", cmd, err, lines)
		}
		lines = append(lines, line)
		if strings.HasPrefix(line, tag+" ") {
			if !strings.HasPrefix(line, tag+" OK") {
				t.Fatalf("%s: %q", cmd, line)
			}
			return lines
		}
	}
	t.Fatalf("%s: no tagged response in 1000 lines", cmd)
	return nil
}

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	file string // the CA certificate, PEM
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Ferrymail test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &testCA{cert: cert, key: key, pool: x509.NewCertPool(), file: filepath.Join(t.TempDir(), "ca.pem")}
	ca.pool.AddCert(cert)
	if err := os.WriteFile(ca.file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return ca
}

// issue writes a new certificate for 127.0.0.1 and localhost, and its
// key, replacing the files by rename as a renewal tool does; it returns
// the certificate's fingerprint.
func (ca *testCA) issue(t *testing.T, certFile, keyFile string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	replace := func(name string, data []byte, perm os.FileMode) {
		tmp := name + ".new"
		if err := os.WriteFile(tmp, data, perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, name); err != nil {
			t.Fatal(err)
		}
	}
	replace(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	replace(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	return fingerprintOf(der)
}

// TestTLSConnectionLimit: limits.max_connections_per_ip covers the
// implicit-TLS listeners too; the connection over the limit is closed
// before any handshake, and the one within it works on.
func TestTLSConnectionLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := writeConfig(t, "[limits]\nmax_connections_per_ip = 1\n")
	srv := startServe(t, dir, "--config", cfg, "--imaps", "127.0.0.1:0")
	roots := x509.NewCertPool()
	pemBytes, err := os.ReadFile(selfSignedFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	roots.AppendCertsFromPEM(pemBytes)
	addr := serviceAddr(t, srv, "imaps")
	first := dialIMAPS(t, addr, roots)
	second, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err == nil {
		second.SetDeadline(time.Now().Add(clientTimeout))
		_, err = second.Read(make([]byte, 1))
		second.Close()
	}
	if err == nil {
		t.Errorf("a second IMAPS connection from one address was served with max_connections_per_ip = 1")
	}
	first.command(t, "NOOP")
	first.command(t, "LOGOUT")
	srv.sigterm(t)
}
