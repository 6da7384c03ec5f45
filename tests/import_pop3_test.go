package tests

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The POP3 migration end to end (issue 6): POP3 clients in keep mode are
// synchronised against a real Dovecot, its maildrop is imported with
// "ferrymail import pop3", and the same clients, with the same UIDL state
// files, pointed at "ferrymail serve" download nothing, then exactly the
// one message delivered to Ferrymail after the move.

// fillDovecotInbox writes messages into the INBOX Maildir of Dovecot's
// user alice (new/, as a delivery agent would), owned as Dovecot's mail
// processes need.
func fillDovecotInbox(t testing.TB, d *dovecotProc, first int, bodies []string) {
	t.Helper()
	md := filepath.Join(d.home, "alice", "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(md, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range bodies {
		name := fmt.Sprintf("%d.M%dP%d.legacy", 1700000000+first+i, first+i, os.Getpid())
		if err := os.WriteFile(filepath.Join(md, "new", name), []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(d.home)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	filepath.Walk(filepath.Join(d.home, "alice"), func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			err = os.Lchown(p, int(st.Uid), int(st.Gid))
		}
		return err
	})
}

// pop3Listing logs in to a POP3 server and returns its UIDL listing, in
// message order.
func pop3Listing(t testing.TB, addr, user, pass string) []string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(clientTimeout))
	r := bufio.NewReader(c)
	line := func() string {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("POP3 %s: %v", addr, err)
		}
		return strings.TrimRight(l, "\r\n")
	}
	cmd := func(s string) {
		fmt.Fprintf(c, "%s\r\n", s)
		if l := line(); !strings.HasPrefix(l, "+OK") {
			t.Fatalf("POP3 %s: %q", addr, l)
		}
	}
	line()
	cmd("USER " + user)
	cmd("PASS " + pass)
	cmd("UIDL")
	var out []string
	for l := line(); l != "."; l = line() {
		f := strings.Fields(l)
		out = append(out, f[1])
	}
	cmd("QUIT")
	return out
}

// pop3Delete deletes message n (DELE, then QUIT for the UPDATE state).
func pop3Delete(t testing.TB, addr, user, pass string, n int) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(clientTimeout))
	r := bufio.NewReader(c)
	r.ReadString('\n')
	for _, cmd := range []string{"USER " + user, "PASS " + pass, "DELE " + strconv.Itoa(n), "QUIT"} {
		fmt.Fprintf(c, "%s\r\n", cmd)
		if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "+OK") {
			t.Fatalf("POP3 %s %s: %q %v", addr, cmd, l, err)
		}
	}
}

// keepClients are fetchmail and mpop in keep mode with UIDL tracking,
// each with its own state (fetchmail's idfile, mpop's UIDLs file) kept
// across servers: the users' machines.
type keepClients struct {
	fetchmail, mpop string
	home            string
	seen            map[string]bool
}

func newKeepClients(t *testing.T) *keepClients {
	k := &keepClients{fetchmail: needTool(t, "fetchmail"), mpop: needTool(t, "mpop"), home: t.TempDir(), seen: map[string]bool{}}
	for _, d := range []string{"fetched", "Maildir/cur", "Maildir/new", "Maildir/tmp"} {
		if err := os.MkdirAll(filepath.Join(k.home, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// run runs both clients against addr and returns how many messages each
// delivered.
func (k *keepClients) run(t *testing.T, addr, user, pass string) (fetchmail, mpop []string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	env := append(os.Environ(), "HOME="+k.home)
	rc := fmt.Sprintf(`set no syslog
poll %s service %s protocol pop3 uidl auth password
  user "%s" there with password "%s" is "tester" here
  options keep no rewrite sslproto ''
  mda "/bin/sh -c 'cat > %s/msg.$$'"
`, host, port, user, pass, filepath.Join(k.home, "fetched"))
	rcFile := filepath.Join(k.home, "fetchmailrc")
	if err := os.WriteFile(rcFile, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	log, code := runTool(t, env, k.fetchmail, "-f", rcFile, "--idfile", filepath.Join(k.home, "fetchids"),
		"--pidfile", filepath.Join(k.home, "fetchmail.pid"), "--nodetach", "-v")
	if code != 0 && code != 1 { // 1: no mail
		t.Fatalf("fetchmail exited %d:\n%s", code, log)
	}
	fetchmail = newFiles(t, filepath.Join(k.home, "fetched"), k.seen)
	log, code = runTool(t, env, k.mpop, "--host="+host, "--port="+port, "--user="+user,
		"--passwordeval=echo '"+pass+"'", "--auth=user", "--tls=off",
		"--keep=on", "--only-new=on", "--received-header=off",
		"--delivery=maildir,"+filepath.Join(k.home, "Maildir"), "--uidls-file="+filepath.Join(k.home, "uidls"))
	if code != 0 {
		t.Fatalf("mpop exited %d:\n%s", code, log)
	}
	mpop = newFiles(t, filepath.Join(k.home, "Maildir", "new"), k.seen)
	return fetchmail, mpop
}

func legacyBodies(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		b := fmt.Sprintf("From: sender%d@example.org\nTo: alice@example.org\nSubject: legacy %d\nMessage-ID: <%d@legacy.example>\n\n", i, i, i)
		switch i % 5 {
		case 1:
			b += ".a body line that starts with a dot\n..two dots\n.\nend\n"
		case 2:
			b += strings.Repeat("a large message, spooled to a file while it waits for its batch\n", 6000)
		default:
			b += strings.Repeat("text ", 50+i) + "\n"
		}
		out = append(out, b)
	}
	return out
}

// TestImportPOP3FromDovecot: see the comment at the top of the file. Also:
// a re-run imports nothing, and --dry-run writes nothing.
func TestImportPOP3FromDovecot(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	d := startDovecot(t, "maildir:~/Maildir", "")
	const n = 12
	fillDovecotInbox(t, d, 0, legacyBodies(n))
	dovecotAddr := fmt.Sprintf("127.0.0.1:%d", d.pop3Port)
	legacyUIDLs := pop3Listing(t, dovecotAddr, "alice", "pw")
	if len(legacyUIDLs) != n {
		t.Fatalf("Dovecot lists %d UIDLs, want %d", len(legacyUIDLs), n)
	}

	k := newKeepClients(t)
	if f, m := k.run(t, dovecotAddr, "alice", "pw"); len(f) != n || len(m) != n {
		t.Fatalf("against Dovecot: fetchmail got %d, mpop %d messages, want %d each", len(f), len(m), n)
	}
	if f, m := k.run(t, dovecotAddr, "alice", "pw"); len(f) != 0 || len(m) != 0 {
		t.Fatalf("against Dovecot again: fetchmail got %d, mpop %d messages, want none", len(f), len(m))
	}

	data := filepath.Join(t.TempDir(), "data")
	mustSucceed(t, "pw\n", "user", "add", "--data", data, "alice")
	pwFile := filepath.Join(t.TempDir(), "legacy-password")
	if err := os.WriteFile(pwFile, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	importArgs := []string{"import", "pop3", "--data", data, "--to", "alice", "--host", dovecotAddr, "--user", "alice", "--password-file", pwFile}

	r := ferrymail(t, "", append(importArgs, "--dry-run")...)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d messages", n)) {
		t.Errorf("dry run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := listedMessages(t, mustSucceed(t, "", "message", "list", "--data", data, "alice", "INBOX")); len(got) != 0 {
		t.Fatalf("the dry run wrote %d messages", len(got))
	}
	r = ferrymail(t, "", importArgs...)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("total: 1 mailboxes, %d messages imported", n)) {
		t.Fatalf("import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("the import's report:\n%s", r.stdout)
	r = ferrymail(t, "", importArgs...)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("total: 1 mailboxes, 0 messages imported (0 bytes), %d already there", n)) {
		t.Errorf("re-run: exit %d, want nothing imported\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// Dovecot still has everything: no DELE was sent.
	if got := pop3Listing(t, dovecotAddr, "alice", "pw"); strings.Join(got, " ") != strings.Join(legacyUIDLs, " ") {
		t.Errorf("Dovecot's listing changed: %q, was %q", got, legacyUIDLs)
	}

	// The cut-over: mail keeps arriving at Dovecot and the clients fetch
	// it; Ferrymail already serves; the delta is imported through the
	// running server (its admin socket).
	fillDovecotInbox(t, d, n, []string{
		"From: x@example.org\nSubject: late one\nMessage-ID: <late1@legacy>\n\nlate\n",
		"From: x@example.org\nSubject: late two\nMessage-ID: <late2@legacy>\n\nlate\n",
	})
	legacyUIDLs = pop3Listing(t, dovecotAddr, "alice", "pw")
	if f, m := k.run(t, dovecotAddr, "alice", "pw"); len(f) != 2 || len(m) != 2 {
		t.Fatalf("against Dovecot, late mail: fetchmail got %d, mpop %d messages, want 2 each", len(f), len(m))
	}
	srv := startServe(t, data)
	addr := pop3Addr(t, srv)
	r = ferrymail(t, "", importArgs...)
	if r.code != 0 || !strings.Contains(r.stdout, "total: 1 mailboxes, 2 messages imported") ||
		!strings.Contains(r.stdout, fmt.Sprintf("%d already there", n)) {
		t.Errorf("delta through the running server: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(srv.stderr.String(), "format=pop3 source=pop3://alice@"+dovecotAddr) {
		t.Errorf("the delta did not run in the server; its log:\n%s", srv.stderr.String())
	}
	if got := pop3Listing(t, addr, "alice", "pw"); strings.Join(got, " ") != strings.Join(legacyUIDLs, " ") {
		t.Errorf("Ferrymail lists UIDLs %q, Dovecot listed %q", got, legacyUIDLs)
	}
	if f, m := k.run(t, addr, "alice", "pw"); len(f) != 0 || len(m) != 0 {
		t.Fatalf("against Ferrymail after the move: fetchmail got %d, mpop %d messages, want none", len(f), len(m))
	}
	// A message deleted at Dovecot since (another client of the old
	// server took it): --expunge-missing expunges it here too.
	pop3Delete(t, dovecotAddr, "alice", "pw", 3)
	legacyUIDLs = pop3Listing(t, dovecotAddr, "alice", "pw")
	r = ferrymail(t, "", append(importArgs, "--expunge-missing")...)
	if r.code != 0 || !strings.Contains(r.stdout, "expunged: 1 messages") || !strings.Contains(r.stdout, "0 messages imported") {
		t.Errorf("--expunge-missing: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := pop3Listing(t, addr, "alice", "pw"); strings.Join(got, " ") != strings.Join(legacyUIDLs, " ") {
		t.Errorf("after --expunge-missing Ferrymail lists UIDLs %q, Dovecot %q", got, legacyUIDLs)
	}
	if f, m := k.run(t, addr, "alice", "pw"); len(f) != 0 || len(m) != 0 {
		t.Fatalf("after --expunge-missing: fetchmail got %d, mpop %d messages, want none", len(f), len(m))
	}
	srv.sigterm(t)
	pop3Seed(t, data, "From: d@example.org\r\nSubject: after the move\r\nMessage-ID: <new@example.org>\r\n\r\nnew mail\r\n")
	srv = startServe(t, data, "--pop3", addr)
	defer srv.sigterm(t)
	f, m := k.run(t, addr, "alice", "pw")
	if len(f) != 1 || len(m) != 1 || !strings.Contains(f[0], "Subject: after the move") || !strings.Contains(m[0], "Subject: after the move") {
		t.Fatalf("after a delivery: fetchmail got %d, mpop %d messages, want only the new one each", len(f), len(m))
	}
}

// TestImportPOP3Killed kills "ferrymail import pop3" with SIGKILL at
// several moments and runs it again each time: at the end the store holds
// exactly the source's messages, in POP3 order, with their UIDLs.
func TestImportPOP3Killed(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	d := startDovecot(t, "maildir:~/Maildir", "")
	const n = 2000
	var bodies []string
	for i := 1; i <= n; i++ {
		bodies = append(bodies, fmt.Sprintf("Subject: message %d\nMessage-ID: <%d@legacy>\n\n%s\n", i, i, strings.Repeat("body text ", 50+i%50)))
	}
	fillDovecotInbox(t, d, 0, bodies)
	dovecotAddr := fmt.Sprintf("127.0.0.1:%d", d.pop3Port)
	want := pop3Listing(t, dovecotAddr, "alice", "pw")
	if len(want) != n {
		t.Fatalf("Dovecot lists %d messages, want %d", len(want), n)
	}
	data := newUser(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("pw"), 0o600); err != nil {
		t.Fatal(err)
	}
	importArgs := []string{"import", "pop3", "--data", data, "--to", "alice", "--host", dovecotAddr, "--user", "alice", "--password-file", pwFile}
	got := killImportAndResume(t, data, n, []time.Duration{100, 150, 200, 300, 400, 600, 800}, importArgs...)
	for i, line := range got {
		if f := strings.Fields(line); len(f) < 2 || f[0] != strconv.Itoa(i+1) || f[1] != want[i] {
			t.Fatalf("message %d: %q, want UID %d UIDL %s", i+1, line, i+1, want[i])
		}
	}
	st := mustOpenStore(t, data)
	mustClose(t, st) // runs CheckConsistency
}

// TestImportPOP3Errors: usage errors exit 2; a server that cannot be
// reached or refuses the login exits 1 with one line saying so, and
// nothing is written.
func TestImportPOP3Errors(t *testing.T) {
	t.Parallel()
	data := newUser(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 2, "", "import", "pop3", "--data", data, "--to", "alice")
	mustFail(t, 2, "", "import", "pop3", "--data", data, "--to", "alice", "--host", "no-port", "--user", "a", "--password-file", pwFile)
	mustFail(t, 2, "", "import", "pop3", "--data", data, "--to", "alice", "--host", "127.0.0.1:1", "--user", "a", "--password-file", pwFile, "--tls", "sometimes")
	mustFail(t, 2, "", "import", "pop3", "--data", data, "--to", "alice", "--host", "127.0.0.1:1", "--user", "a", "--password-file", pwFile, "--renumber")
	closed := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	if line := mustFail(t, 1, "", "import", "pop3", "--data", data, "--to", "alice", "--host", closed, "--user", "a", "--password-file", pwFile); !strings.Contains(line, "connecting to "+closed) {
		t.Errorf("unreachable server: %s", line)
	}
	if line := mustFail(t, 1, "", "import", "pop3", "--data", data, "--to", "alice", "--host", closed, "--user", "a", "--password-file", pwFile+".missing"); !strings.Contains(line, "password file") {
		t.Errorf("missing password file: %s", line)
	}
	if needDovecotOK() {
		d := startDovecot(t, "maildir:~/Maildir", "")
		addr := fmt.Sprintf("127.0.0.1:%d", d.pop3Port)
		if line := mustFail(t, 1, "", "import", "pop3", "--data", data, "--to", "alice", "--host", addr, "--user", "alice", "--password-file", pwFile); !strings.Contains(line, `logging in as "alice": PASS: server answered -ERR`) {
			t.Errorf("wrong password: %s", line)
		}
	}
	if got := listedMessages(t, mustSucceed(t, "", "message", "list", "--data", data, "alice", "INBOX")); len(got) != 0 {
		t.Errorf("%d messages written", len(got))
	}
}

// needDovecotOK says whether the Dovecot tests can run (needDovecot
// without skipping).
func needDovecotOK() bool {
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/lib/dovecot/pop3"} {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}
