package tests

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Dovecot passwd-file as an administrator would bring it: hashes made
// with Dovecot 2.3's "doveadm pw" (passwords in the comments), a bare
// crypt string (Dovecot's default scheme CRYPT), a comment, a blank line
// and one broken line.
const dovecotPasswd = `# migrated from mail.example.org
alice:{SHA512-CRYPT}$6$AKFsBfIenxxoFf4z$9w.WnKsQTNG3wJEZQ.5rgTXgMl/DBCdSQMKOWxdlYORNz6mJpW5rvjohnSda5H61kc3DJ29r5MapQQWbrn5i11:1000:1000::/home/alice::
bob:{BLF-CRYPT}$2y$05$YUWBMeSybXK9AkejbG12ouVJ2BXpwjRAf9zgDUmQKQGHzxJFsMOmK

carol:$5$t3KFCeRKz.xEtOOM$455WIOmY0nkrWGl49Y6MwFW/jM86ayFRLbBpTI3pyMA:1002:1002::/home/carol::userdb_quota_rule=*:storage=1G
broken line without a password field
`

// Passwords of the hashes above.
const (
	alicePasswd = "old dovecot pw" // {SHA512-CRYPT}
	bobPasswd   = "bob pw"         // {BLF-CRYPT}
	carolPasswd = "carol pw"       // $5$ without a scheme
)

// loginScript logs in over IMAP (imaplib) and POP3 (poplib) with each
// user:password argument and prints the outcomes as JSON.
// argv: imap-host imap-port pop3-host pop3-port user:password...
const loginScript = `
import imaplib, json, poplib, sys
ih, ip, ph, pp = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
out = {}
for cred in sys.argv[5:]:
    user, pw = cred.split(":", 1)
    r = {}
    M = imaplib.IMAP4(ih, ip)
    try:
        r["imap"] = M.login(user, pw)[0]
        r["imap_select"] = M.select("INBOX")[0]
        M.logout()
    except imaplib.IMAP4.error as e:
        r["imap"] = "NO " + str(e)
    P = poplib.POP3(ph, pp)
    try:
        P.user(user)
        r["pop3"] = P.pass_(pw).decode()
        P.quit()
    except poplib.error_proto as e:
        r["pop3"] = str(e)
    out[cred] = r
print(json.dumps(out))
`

// TestUserImportDovecotPasswd (issue 7): users imported from a Dovecot
// passwd-file with "ferrymail user import", while the server runs, log in
// over IMAP and POP3 with their old passwords.
func TestUserImportDovecotPasswd(t *testing.T) {
	t.Parallel()
	python := needTool(t, "python3")
	dir := t.TempDir()
	passwd := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(passwd, []byte(dovecotPasswd), 0o600); err != nil {
		t.Fatal(err)
	}
	// Without a server: the store is opened by the command.
	r := ferrymail(t, "", "user", "import", "--data", dir, passwd)
	if r.code != 1 || !strings.Contains(r.stderr, "passwd:6: no ':' after the user name") ||
		!strings.Contains(r.stderr, "1 of 4 users not imported") {
		t.Fatalf("user import: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		if !strings.Contains(r.stdout, "created user "+u+"\n") {
			t.Errorf("user import stdout lacks %s:\n%s", u, r.stdout)
		}
	}

	// Imported hashes are re-hashed at the first login: the POP3 login
	// below comes after the IMAP one, against the new argon2id hash.
	srv := startServe(t, dir, "--rehash-passwords")
	// With the server running, through its admin socket: existing users
	// are refused unless --update.
	one := filepath.Join(t.TempDir(), "one")
	if err := os.WriteFile(one, []byte(strings.SplitAfter(dovecotPasswd, "\n")[1]), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := ferrymail(t, "", "user", "import", "--data", dir, one); r.code != 1 || !strings.Contains(r.stderr, "--update") {
		t.Errorf("re-import without --update: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if r := ferrymail(t, "", "user", "import", "--data", dir, "--update", one); r.code != 0 || r.stdout != "updated the password hash of alice\n" {
		t.Errorf("re-import with --update: exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}

	ih, ip, _ := net.SplitHostPort(imapAddr(t, srv))
	ph, pp, _ := net.SplitHostPort(pop3Addr(t, srv))
	script := filepath.Join(t.TempDir(), "login_test.py")
	if err := os.WriteFile(script, []byte(loginScript), 0o600); err != nil {
		t.Fatal(err)
	}
	creds := []string{"alice:" + alicePasswd, "bob:" + bobPasswd, "carol:" + carolPasswd, "alice:wrong"}
	out, code := runTool(t, nil, python, append([]string{script, ih, ip, ph, pp}, creds...)...)
	if code != 0 {
		t.Fatalf("login script exited %d:\n%s\nserver:\n%s", code, out, srv.stderr)
	}
	var res map[string]map[string]string
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("login script output: %v\n%s", err, out)
	}
	for _, cred := range creds[:3] {
		got := res[cred]
		if got["imap"] != "OK" || got["imap_select"] != "OK" || !strings.HasPrefix(got["pop3"], "+OK") {
			t.Errorf("%s: got %v, want IMAP OK and POP3 +OK", strings.SplitN(cred, ":", 2)[0], got)
		}
	}
	if got := res["alice:wrong"]; !strings.Contains(got["imap"], "AUTHENTICATIONFAILED") || !strings.Contains(got["pop3"], "-ERR [AUTH]") {
		t.Errorf("wrong password: got %v", got)
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		if !strings.Contains(srv.stderr.String(), `msg="password re-hashed to argon2id after login" user=`+u+"\n") {
			t.Errorf("no re-hash logged for %s; server:\n%s", u, srv.stderr)
		}
	}
	srv.sigterm(t)
}
