package imap

import (
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ferrymail/ferrymail/internal/testcert"
)

// TestSTARTTLSLogoutIsAnswered: a session upgraded with STARTTLS runs TLS
// over the corked connection, and tls.Conn's Close sets a write deadline
// of now after its close_notify: what corkConn still held (LOGOUT's BYE
// and OK) must go out before that, or the client sees EOF.
func TestSTARTTLSLogoutIsAnswered(t *testing.T) {
	serverTLS, clientTLS := testcert.Pair(t)
	e := newTestEnvOpts(t, Options{FailedLoginDelay: -1, TLSConfig: serverTLS})
	for i := range 5 {
		c, err := imapclient.DialStartTLS(e.addr, &imapclient.Options{TLSConfig: clientTLS})
		if err != nil {
			t.Fatalf("STARTTLS: %v", err)
		}
		if err := c.Login("alice", "secret").Wait(); err != nil {
			t.Fatalf("LOGIN over STARTTLS: %v", err)
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatalf("SELECT: %v", err)
		}
		if err := c.Logout().Wait(); err != nil {
			t.Fatalf("LOGOUT over STARTTLS (round %d): %v", i, err)
		}
		c.Close()
	}
}
