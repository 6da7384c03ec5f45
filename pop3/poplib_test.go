package pop3

import (
	"context"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPoplibSTLS: Python's poplib upgrades with STLS (RFC 2595), checking
// the certificate, and logs in over TLS. The binary has no TLS options yet,
// so this runs against the package's server.
func TestPoplibSTLS(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	serverTLS, _ := testTLSConfig(t)
	e := newEnv(t, Options{AuthFailDelay: -1, TLSConfig: serverTLS})
	e.deliver(testBodies[0])
	tmp := t.TempDir()
	ca := filepath.Join(tmp, "ca.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: serverTLS.Certificates[0].Certificate[0]})
	if err := os.WriteFile(ca, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	script := `
import poplib, ssl, sys
host, port, ca, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
p = poplib.POP3(host, port, timeout=10)
print("before", sorted(p.capa().keys()))
print(p.stls(context=ssl.create_default_context(cafile=ca)).decode())
print("after", sorted(p.capa().keys()))
p.user(user)
print(p.pass_(pw).decode())
print(p.stat())
print(p.quit().decode())
`
	host, port, _ := net.SplitHostPort(e.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", script, host, port, ca, testUser, testPass).CombinedOutput()
	if err != nil {
		t.Fatalf("poplib: %v\n%s", err, out)
	}
	want := `before ['AUTH-RESP-CODE', 'IMPLEMENTATION', 'PIPELINING', 'RESP-CODES', 'SASL', 'STLS', 'TOP', 'UIDL', 'USER']
+OK begin TLS negotiation
after ['AUTH-RESP-CODE', 'IMPLEMENTATION', 'PIPELINING', 'RESP-CODES', 'SASL', 'TOP', 'UIDL', 'USER']
+OK maildrop has 1 messages (23 octets)
(1, 23)
+OK Ferrymail POP3 server signing off (1 messages left)
`
	if got := strings.ReplaceAll(string(out), "\r", ""); got != want {
		t.Errorf("poplib STLS transcript:\n got %s\nwant %s", got, want)
	}
}
