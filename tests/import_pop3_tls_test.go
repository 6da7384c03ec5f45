package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrymail/ferrymail/internal/testcert"
)

// selfSigned writes a self-signed certificate for legacy.example and its key,
// as legacy servers often have, and returns their paths.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	return testcert.WriteFiles(t, dir, "legacy.example")
}

// TestImportPOP3DovecotTLS: STLS and implicit TLS (POP3S) against Dovecot
// with a self-signed certificate: refused unless --insecure-skip-verify.
func TestImportPOP3DovecotTLS(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	cert, key := selfSigned(t, t.TempDir())
	pop3s := freePort(t)
	d := startDovecot(t, "maildir:~/Maildir", fmt.Sprintf(`ssl = yes
ssl_cert = <%s
ssl_key = <%s
service pop3-login {
  inet_listener pop3s {
    port = %d
    ssl = yes
  }
}`, cert, key, pop3s))
	fillDovecotInbox(t, d, 0, legacyBodies(3))
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode string
		port int
	}{{"starttls", d.pop3Port}, {"implicit", pop3s}} {
		data := newUser(t)
		args := []string{"import", "pop3", "--data", data, "--to", "alice", "--host", fmt.Sprintf("127.0.0.1:%d", tc.port),
			"--user", "alice", "--password-file", pwFile, "--tls", tc.mode}
		if line := mustFail(t, 1, "", args...); !strings.Contains(line, "certificate") {
			t.Errorf("%s without --insecure-skip-verify: %s", tc.mode, line)
		}
		r := ferrymail(t, "", append(args, "--insecure-skip-verify")...)
		if r.code != 0 || !strings.Contains(r.stdout, "3 messages imported") {
			log, _ := os.ReadFile(filepath.Join(d.dir, "log"))
			t.Errorf("%s: exit %d\n%s\n%s\ndovecot log:\n%s", tc.mode, r.code, r.stdout, r.stderr, log)
		}
	}
}
