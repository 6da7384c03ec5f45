package imap

import (
	"context"
	"github.com/ferrymail/ferrymail/store"
	"net"
	"strings"
	"testing"
)

// One user never sees, selects or touches another's mailboxes, whatever
// the name says.
func TestOtherUsersInvisible(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	bob, err := e.store.CreateAccount(ctx, "bob", "bobpw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.CreateMailbox(ctx, bob.ID, "Secret", storeCreateOpts()); err != nil {
		t.Fatal(err)
	}
	r := e.raw()
	r.login()
	names := []string{`"../bob/INBOX"`, `"bob/INBOX"`, `"bob/Secret"`, `"#shared/bob/INBOX"`, `"#user/bob"`, `"~bob/INBOX"`,
		`"INBOX/../Secret"`, `"Secret"`, `"*"`, `"%"`, `".."`, `"/bob/Secret"`, `"Other Users/bob"`}
	for _, n := range names {
		for _, cmd := range []string{"SELECT", "EXAMINE", "STATUS %s (MESSAGES)", "DELETE", "SUBSCRIBE", "APPEND %s {1+}\r\nx"} {
			line := cmd + " " + n
			if strings.Contains(cmd, "%s") {
				line = strings.Replace(cmd, "%s", n, 1)
			}
			if u, tagged := r.cmd("%s", line); !strings.Contains(tagged, " NO ") && !strings.Contains(tagged, " BAD ") {
				t.Errorf("%s: %q %q", line, u, tagged)
			}
		}
		if _, tagged := r.cmd("CREATE %s", n); strings.Contains(tagged, " OK ") && n != `"Secret"` && n != `"bob/Secret"` && n != `"Other Users/bob"` && n != `"bob/INBOX"` {
			t.Errorf("CREATE %s: %q", n, tagged)
		}
	}
	for _, pat := range []string{`"" "*"`, `"" "%"`, `"../" "*"`, `"#shared/" "*"`, `"" "../*"`} {
		u := r.mustOK("LIST %s", pat)
		for _, l := range u {
			if strings.Contains(l, "Secret\r\n") && !strings.Contains(l, "bob/Secret") || strings.Contains(l, "\"..") {
				t.Errorf("LIST %s: %q", pat, l)
			}
		}
	}
	// Bob's mailbox is untouched and alice's CREATEs stayed in alice's account.
	if mbs, _ := e.store.Mailboxes(ctx, bob.ID); len(mbs) != 7 {
		t.Errorf("bob has %d mailboxes", len(mbs))
	}
}

func TestProtocolLimits(t *testing.T) {
	e := newTestEnvOpts(t, Options{FailedLoginDelay: -1, AppendLimit: 1000})
	r := e.raw()
	r.login()
	// APPEND over APPENDLIMIT (RFC 7889) is refused before the literal.
	// imapserver cannot refuse a literal before it is sent without
	// hanging (see AppendLimit), so it is read and refused.
	r.n++
	r.send("t99 APPEND INBOX {2000}\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("APPEND continuation: %q", l)
	}
	r.send(strings.Repeat("x", 2000) + "\r\n")
	if _, tagged := r.until("t99"); !strings.Contains(tagged, "NO [TOOBIG]") {
		t.Errorf("APPEND over the limit: %q", tagged)
	}
	if _, tagged := r.cmd("APPEND INBOX {2000+}\r\n%s", strings.Repeat("y", 2000)); !strings.Contains(tagged, "NO [TOOBIG]") {
		t.Errorf("APPEND LITERAL+ over the limit: %q", tagged)
	}
	if u := r.mustOK("CAPABILITY"); !strings.Contains(u[0], "APPENDLIMIT=1000") {
		t.Errorf("CAPABILITY %q", u)
	}
	// A literal over 4 KiB outside APPEND. (A synchronising one gets no
	// answer from imapserver until its 30 s read timeout: docs/imap.md.)
	if _, tagged := r.cmd("SELECT {5000+}\r\n%s", strings.Repeat("z", 5000)); !strings.Contains(tagged, " NO ") {
		t.Errorf("big literal: %q", tagged)
	}
	// Invalid mailbox names.
	for _, n := range []string{`"a//b"`, `"/"`, `"x/./y"`, `"#news"`, `"~bob"`, `"a*"`, `"b%"`} {
		if _, tagged := r.cmd("CREATE %s", n); !strings.Contains(tagged, " NO ") {
			t.Errorf("CREATE %s: %q", n, tagged)
		}
	}
	// An over-long command line (imapserver's 50 KiB) is refused; the
	// library answers NO [SERVERBUG] rather than BAD (docs/imap.md).
	u, tagged := r.cmd("SELECT \"%s\"", strings.Repeat("x", 60<<10))
	if !strings.Contains(tagged, " NO ") && !strings.Contains(tagged, " BAD ") {
		t.Errorf("long line: %q %q", u, tagged)
	}
}

func TestGarbageBeforeLogin(t *testing.T) {
	e := newTestEnv(t)
	r := e.raw()
	r.send("GET / HTTP/1.1\r\n")
	if l := r.line(); !strings.HasPrefix(l, "GET BAD") && !strings.HasPrefix(l, "* BYE") {
		t.Errorf("answer to HTTP: %q", l)
	}
}

// LOGINDISABLED on plaintext from a non-loopback address (RFC 9051 §6.2.3).
func TestLoginDisabledRemote(t *testing.T) {
	e := newTestEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.srv.Serve(remoteListener{ln})
	r := (&testEnv{t: t, addr: ln.Addr().String()}).raw()
	u := r.mustOK("CAPABILITY")
	if !strings.Contains(u[0], "LOGINDISABLED") || strings.Contains(u[0], "AUTH=PLAIN") {
		t.Errorf("CAPABILITY %q", u)
	}
	if _, tagged := r.cmd("LOGIN alice secret"); !strings.Contains(tagged, "NO [PRIVACYREQUIRED]") {
		t.Errorf("LOGIN: %q", tagged)
	}
	// The loopback listener offers it.
	r2 := e.raw()
	if u := r2.mustOK("CAPABILITY"); strings.Contains(u[0], "LOGINDISABLED") || !strings.Contains(u[0], "AUTH=PLAIN") {
		t.Errorf("loopback CAPABILITY %q", u)
	}
}

// remoteListener makes connections look as if they came from 192.0.2.1.
type remoteListener struct{ net.Listener }

func (l remoteListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return remoteConn{c}, nil
}

type remoteConn struct{ net.Conn }

func (remoteConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 4242} }

func storeCreateOpts() store.CreateOptions { return store.CreateOptions{} }

// The store's refusals reach the client with RFC 5530 / RFC 9051 codes.
func TestMailboxRefusals(t *testing.T) {
	e := newTestEnv(t)
	r := e.preauth().raw()
	r.mustOK("CREATE P/C")
	for cmd, want := range map[string]string{
		"DELETE P":                "NO [HASCHILDREN]",
		"RENAME INBOX Old":        "NO [CANNOT]",
		"DELETE INBOX":            "NO [CANNOT]",
		"CREATE P":                "NO [ALREADYEXISTS]",
		"RENAME Nope X":           "NO [NONEXISTENT]",
		"SELECT Nope":             "NO [NONEXISTENT]",
		"APPEND Nope {1+}\r\nx":   "NO [TRYCREATE]",
		`CREATE X (USE (\Bogus))`: "NO [USEATTR]",
	} {
		if _, tagged := r.cmd("%s", cmd); !strings.Contains(tagged, want) {
			t.Errorf("%s: %q, want %s", cmd, tagged, want)
		}
	}
}
