package pop3

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

func plain(authz, user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(authz + "\x00" + user + "\x00" + pass))
}

func TestCapa(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	c := e.dial()
	want := []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "SASL PLAIN", "IMPLEMENTATION Ferrymail"}
	if got := c.multi("CAPA"); !slices.Equal(got, want) {
		t.Errorf("CAPA in AUTHORIZATION:\n got %q\nwant %q", got, want)
	}
	c.mustOK("USER " + testUser)
	c.mustOK("PASS " + testPass)
	// RFC 2449 §5: the same capabilities in TRANSACTION.
	if got := c.multi("CAPA"); !slices.Equal(got, want) {
		t.Errorf("CAPA in TRANSACTION:\n got %q\nwant %q", got, want)
	}
	c.mustErr("CAPA x", "-ERR ")
}

func TestUserPass(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	e.deliver("Subject: a\r\n\r\nhello\r\n")
	c := e.dial()
	c.mustErr("PASS "+testPass, "-ERR send USER first")
	c.mustErr("USER", "-ERR ")
	c.mustOK("USER nobody")
	c.mustErr("PASS "+testPass, "-ERR [AUTH] ")
	c.mustOK("USER " + testUser)
	c.mustErr("PASS wrong", "-ERR [AUTH] ")
	// A failed PASS needs a new USER.
	c.mustErr("PASS "+testPass, "-ERR send USER first")
	c.mustOK("USER ALICE") // logins are case-insensitive
	if got := c.mustOK("PASS " + testPass); got != "+OK maildrop has 1 messages (21 octets)" {
		t.Errorf("PASS: %q", got)
	}
	c.mustErr("USER "+testUser, "-ERR USER is not allowed in the TRANSACTION state")
}

// TestPassWithSpaces: RFC 1939 §7, the PASS argument is taken whole.
func TestPassWithSpaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	c := e.dial()
	c.mustOK("USER " + testUser)
	c.mustOK("PASS correct horse") // testPass has a space
}

func TestAuthPlain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())

	// Initial response (RFC 5034 §4).
	c := e.dial()
	c.mustErr("AUTH PLAIN "+plain("", testUser, "wrong"), "-ERR [AUTH] ")
	c.mustOK("AUTH PLAIN " + plain("", testUser, testPass))
	c.mustOK("QUIT")

	// Without initial response: "+ " then the response.
	c = e.dial()
	if got := c.cmd("AUTH PLAIN"); got != "+ " {
		t.Fatalf("AUTH PLAIN: %q, want %q", got, "+ ")
	}
	c.mustOK(plain(testUser, testUser, testPass))
	c.mustOK("QUIT")

	c = e.dial()
	if got := c.multi("AUTH"); !slices.Equal(got, []string{"PLAIN"}) {
		t.Errorf("AUTH mechanisms: %q", got)
	}
	c.mustErr("AUTH CRAM-MD5", "-ERR unsupported SASL mechanism")
	c.mustErr("AUTH PLAIN not-base64!", "-ERR invalid base64")
	c.mustErr("AUTH PLAIN =", "-ERR malformed") // empty response
	c.mustErr("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("no nuls")), "-ERR malformed")
	c.mustErr("AUTH PLAIN "+plain("bob", testUser, testPass), "-ERR [AUTH] ")
	if got := c.cmd("AUTH PLAIN"); got != "+ " {
		t.Fatalf("AUTH PLAIN: %q", got)
	}
	c.mustErr("*", "-ERR authentication cancelled")
	c.mustErr("AUTH PLAIN a b c", "-ERR ")
	c.mustOK("AUTH plain " + plain("", testUser, testPass)) // mechanism names are case-insensitive
}

func TestApopRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	c := e.dial()
	c.mustErr("APOP alice c4c9334bac560ecc979e58001b3e22fb", "-ERR APOP is not available")
}

// TestAuthFailDelay: a failed login is answered only after the delay.
func TestAuthFailDelay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AuthFailDelay: 200 * time.Millisecond})
	c := e.dial()
	c.mustOK("USER " + testUser)
	start := time.Now()
	c.mustErr("PASS wrong", "-ERR [AUTH] ")
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("failed login answered after %v, want at least 200ms", d)
	}
}

// TestInsecureAuthRefused: on a plaintext connection that is not from
// loopback, credentials are refused unless AllowInsecureAuth is set, and
// USER and SASL are not advertised. net.Pipe stands in for a remote peer.
func TestInsecureAuthRefused(t *testing.T) {
	t.Parallel()
	for _, allow := range []bool{false, true} {
		e := newEnv(t, Options{AuthFailDelay: -1, AllowInsecureAuth: allow})
		cs, ss := net.Pipe()
		e.srv.ServeConn(ss)
		c := newClient(t, cs)
		c.readLine()
		capa := c.multi("CAPA")
		if slices.Contains(capa, "USER") == !allow || slices.Contains(capa, "SASL PLAIN") == !allow {
			t.Errorf("allow=%v: CAPA %q", allow, capa)
		}
		if !allow {
			c.mustErr("USER "+testUser, "-ERR [AUTH] plaintext authentication is not allowed")
			c.mustErr("PASS "+testPass, "-ERR [AUTH] plaintext")
			c.mustErr("AUTH PLAIN "+plain("", testUser, testPass), "-ERR [AUTH] plaintext")
			continue
		}
		c.mustOK("USER " + testUser)
		c.mustOK("PASS " + testPass)
		c.mustOK("QUIT")
	}
}

// TestInUse: RFC 1939 §8, one session per maildrop; the lock goes with the
// session, however it ends.
func TestInUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	first := e.login()

	second := e.dial()
	second.mustOK("USER " + testUser)
	second.mustErr("PASS "+testPass, "-ERR [IN-USE] ")
	// Wrong credentials still say [AUTH], not whether the drop is busy.
	second.mustOK("USER " + testUser)
	second.mustErr("PASS wrong", "-ERR [AUTH] ")
	second.mustErr("AUTH PLAIN "+plain("", testUser, testPass), "-ERR [IN-USE] ")

	// A dead session releases the lock.
	first.conn.Close()
	waitFor(t, "the lock to be released", func() bool {
		second.mustOK("USER " + testUser)
		resp := second.cmd("PASS " + testPass)
		if strings.HasPrefix(resp, "-ERR [IN-USE]") {
			return false
		}
		if !strings.HasPrefix(resp, "+OK") {
			t.Fatalf("PASS after the first session died: %q", resp)
		}
		return true
	})
	// And QUIT releases it before its +OK: a client that logs in again
	// as soon as it has read it is not refused.
	second.mustOK("QUIT")
	third := e.login()
	third.mustOK("QUIT")
	second.expectClosed()
}

// TestSTLS: RFC 2595 §4.
func TestSTLS(t *testing.T) {
	t.Parallel()
	serverTLS, clientTLS := testTLSConfig(t)
	e := newEnv(t, Options{AuthFailDelay: -1, TLSConfig: serverTLS})

	c := e.dial()
	if capa := c.multi("CAPA"); !slices.Contains(capa, "STLS") {
		t.Errorf("CAPA without STLS: %q", capa)
	}
	c.mustErr("STLS x", "-ERR ")
	c.mustOK("USER " + testUser) // forgotten after STLS
	// Plaintext pipelined after STLS must be discarded, not run after the
	// handshake (command injection, CVE-2011-0411).
	c.send("STLS\r\nCAPA")
	if got := c.readLine(); !strings.HasPrefix(got, "+OK") {
		t.Fatalf("STLS: %q", got)
	}
	tc := tls.Client(c.conn, clientTLS)
	tc.SetDeadline(time.Now().Add(ioTimeout))
	if err := tc.HandshakeContext(context.Background()); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	c = newClient(t, tc)
	capa := c.multi("CAPA") // the first response is this CAPA's, not the injected one
	if slices.Contains(capa, "STLS") {
		t.Errorf("STLS still advertised under TLS: %q", capa)
	}
	c.mustErr("STLS", "-ERR TLS is already active")
	c.mustErr("PASS "+testPass, "-ERR send USER first")
	c.mustOK("USER " + testUser)
	c.mustOK("PASS " + testPass)
	c.mustErr("STLS", "-ERR STLS is not allowed in the TRANSACTION state")
	c.mustOK("QUIT")

	// Without a TLS configuration there is no STLS.
	e2 := newEnv(t, testOptions())
	c2 := e2.dial()
	c2.mustErr("STLS", "-ERR STLS is not available")
}
