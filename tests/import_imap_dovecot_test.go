package tests

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// The live IMAP migration end to end (issue 6), against a real Dovecot
// 2.3: mbsync synchronised with Dovecot finds nothing to transfer after
// "ferrymail import imap" when pointed at Ferrymail; the cut-over (import,
// changes at Dovecot, a delta import with --expunge-missing) ends with
// "ferrymail verify" finding the two servers identical over IMAP and
// POP3; an import killed with SIGKILL and run again ends the same.

// imapSeedScript drives Dovecot with Python's imaplib (an independent
// client). "seed SPEC" appends to each mailbox of SPEC ("name=count,…",
// names in modified UTF-7 with "/" for the hierarchy), with a pattern of
// flags and keywords, then expunges every 17th message (gaps in the UIDs)
// and leaves one \Deleted but not expunged in INBOX. "change" is the
// traffic of the days before the cut-over: new mail, flag changes and
// expunges in INBOX and the second mailbox.
const imapSeedScript = `
import datetime, imaplib, re, sys
port, action = int(sys.argv[1]), sys.argv[2]
m = imaplib.IMAP4("127.0.0.1", port)
m.login("alice", "pw")
def ok(res):
    if res[0] != "OK":
        raise SystemExit("IMAP said %s %s" % res)
    return res[1]
lst = [d for d in ok(m.list()) if d]
sep = re.match(r'\(.*?\) "(.)"', lst[0].decode()).group(1)
def body(box, i):
    # Sizes of real mail: most a few KB (median about 4 KB), some large.
    size = 150000 if i % 97 == 0 else (300, 900, 1800, 2800, 3800, 4400, 5200, 6800, 9500, 24000)[i % 10]
    head = ("From: Sender %d <s%d@example.org>\r\nTo: alice@example.org\r\nSubject: %s message %d\r\n"
            "Message-ID: <%s.%d@legacy.example>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n" % (i, i, box, i, box.replace("/", "."), i))
    line = "line of message %d in %s, to make it the size of real mail\r\n" % (i, box)
    return (head + line * (size // len(line) + 1)).encode()
def flags(i):
    f = []
    if i % 3: f.append(r"\Seen")
    if i % 5 == 0: f.append(r"\Flagged")
    if i % 7 == 0: f.append(r"\Answered")
    if i % 11 == 0: f.append("$Label1")
    if i % 13 == 0: f.append("NonJunk")
    return "(" + " ".join(f) + ")"
def date(i):
    return imaplib.Time2Internaldate(datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(minutes=i))
def name(n):
    return n if n == "INBOX" else '"' + n.replace("/", sep) + '"'
if action == "seed":
    for spec in sys.argv[3].split(","):
        box, n = spec.split("=")
        if box != "INBOX":
            ok(m.create(name(box)))
            ok(m.subscribe(name(box)))
        for i in range(1, int(n) + 1):
            ok(m.append(name(box), flags(i), date(i), body(box, i)))
        ok(m.select(name(box)))
        gone = ",".join(str(u) for u in range(17, int(n) + 1, 17))
        if gone:
            ok(m.uid("STORE", gone, "+FLAGS.SILENT", r"(\Deleted)"))
            ok(m.expunge())
    ok(m.select("INBOX"))
    ok(m.uid("STORE", "2", "+FLAGS.SILENT", r"(\Deleted)"))
elif action == "change":
    boxes = sys.argv[3].split(",")
    for k, box in enumerate(boxes[:2]):
        for i in range(1, 6):
            ok(m.append(name(box), flags(1000 + i), date(1000 + i), body(box, 1000 + i)))
        ok(m.select(name(box)))
        ok(m.uid("STORE", "1,3,4", "+FLAGS.SILENT", r"(\Flagged $Label2)"))
        ok(m.uid("STORE", "5,6", "-FLAGS.SILENT", r"(\Seen)"))
        ok(m.uid("STORE", "8,9,10", "+FLAGS.SILENT", r"(\Deleted)"))
        ok(m.expunge())
m.logout()
`

// runIMAPSeed runs imapSeedScript against Dovecot.
func runIMAPSeed(t testing.TB, d *dovecotProc, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", append([]string{"-c", imapSeedScript, strconv.Itoa(d.imapPort)}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(d.dir, "log"))
		t.Fatalf("seeding Dovecot (%s): %v\n%s\ndovecot log:\n%s", args[0], err, out, log)
	}
}

// migration is one account on its way from Dovecot to Ferrymail.
type migration struct {
	d      *dovecotProc
	data   string // Ferrymail's data directory
	pwFile string // the password at both servers
}

func newMigration(t *testing.T, seed string) *migration {
	t.Helper()
	needDovecot(t)
	// No fsync: the seeding APPENDs one message at a time.
	d := startDovecot(t, "maildir:~/Maildir", "mail_fsync = never")
	start := time.Now()
	runIMAPSeed(t, d, "seed", seed)
	t.Logf("seeding Dovecot (%s) took %v", seed, time.Since(start).Round(time.Millisecond))
	m := &migration{d: d, data: filepath.Join(t.TempDir(), "data"), pwFile: filepath.Join(t.TempDir(), "pw")}
	if err := os.WriteFile(m.pwFile, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, "pw\n", "user", "add", "--data", m.data, "alice")
	return m
}

func (m *migration) dovecotIMAP() string { return fmt.Sprintf("127.0.0.1:%d", m.d.imapPort) }
func (m *migration) dovecotPOP3() string { return fmt.Sprintf("127.0.0.1:%d", m.d.pop3Port) }

func (m *migration) importArgs(extra ...string) []string {
	return append([]string{"import", "imap", "--data", m.data, "--to", "alice", "--host", m.dovecotIMAP(),
		"--user", "alice", "--password-file", m.pwFile, "--tls", "none"}, extra...)
}

// importIMAP runs "ferrymail import imap" and requires success.
func (m *migration) importIMAP(t *testing.T, extra ...string) string {
	t.Helper()
	r := ferrymail(t, "", m.importArgs(extra...)...)
	if r.code != 0 {
		log, _ := os.ReadFile(filepath.Join(m.d.dir, "log"))
		t.Fatalf("ferrymail import imap: exit %d\nstdout:\n%s\nstderr:\n%s\ndovecot log tail:\n%s", r.code, r.stdout, r.stderr, imapTail(string(log), 20))
	}
	return r.stdout
}

// verify runs "ferrymail verify" between Dovecot and a running Ferrymail,
// over IMAP and POP3.
func (m *migration) verify(t *testing.T, srv *serveProc, extra ...string) result {
	t.Helper()
	args := append([]string{"verify",
		"--old-host", m.dovecotIMAP(), "--old-user", "alice", "--old-password-file", m.pwFile,
		"--new-host", imapAddr(t, srv), "--new-user", "alice", "--new-password-file", m.pwFile,
		"--old-pop3", m.dovecotPOP3(), "--new-pop3", pop3Addr(t, srv)}, extra...)
	return ferrymail(t, "", args...)
}

// requireIdentical fails unless verify exits 0 having found no difference.
func requireIdentical(t *testing.T, r result, what string) {
	t.Helper()
	if r.code != 0 || !regexp.MustCompile(`(?m)^total: \d+ compared, \d+ identical, 0 with differences, 0 differences$`).MatchString(r.stdout) {
		t.Fatalf("%s: ferrymail verify exit %d, want 0 and no difference\nstdout:\n%s\nstderr:\n%s", what, r.code, r.stdout, r.stderr)
	}
}

// seedSpec is the account of the tests: several mailboxes, one with a
// non-ASCII name ("Entwürfe" in modified UTF-7, RFC 3501 §5.1.3), one
// nested; 1,070 messages before the expunges.
const seedSpec = "INBOX=600,Archive=200,Archive/2019=150,Entw&APw-rfe=120"

// TestImportIMAPMbsync: mbsync (isync) synchronises the Dovecot account
// into a local Maildir; after "ferrymail import imap", the same mbsync
// configuration and state pointed at Ferrymail transfers nothing and
// reports no UIDVALIDITY change.
func TestImportIMAPMbsync(t *testing.T) {
	mbsync := needTool(t, "mbsync")
	needDovecot(t)
	t.Parallel()
	m := newMigration(t, seedSpec)
	local := filepath.Join(t.TempDir(), "mail")
	if err := os.MkdirAll(local, 0o700); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(t.TempDir(), "mbsyncrc")
	writeRC := func(addr string) {
		host, port, _ := strings.Cut(addr, ":")
		config := fmt.Sprintf(`IMAPAccount mail
Host %s
Port %s
User alice
Pass pw
SSLType None
AuthMechs PLAIN LOGIN

IMAPStore remote
Account mail

MaildirStore local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel ch
Far :remote:
Near :local:
Patterns *
Create Both
Expunge None
SyncState *
Sync All
`, host, port, local, local)
		if err := os.WriteFile(rc, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeRC(m.dovecotIMAP())
	out, code := runTool(t, nil, mbsync, "-c", rc, "-a")
	if code != 0 {
		t.Fatalf("mbsync against Dovecot exited %d:\n%s", code, out)
	}
	before := maildirState(t, local)
	if before.messages < 1000 {
		t.Fatalf("mbsync fetched %d messages from Dovecot, want the 1,000+ seeded", before.messages)
	}
	t.Logf("mbsync from Dovecot: %d messages in %d folders", before.messages, len(before.uidvalidity))

	t.Logf("import:\n%s", m.importIMAP(t))
	srv := startServe(t, m.data)
	writeRC(imapAddr(t, srv))
	out, code = runTool(t, nil, mbsync, "-V", "-Dn", "-c", rc, "-a")
	if code != 0 {
		t.Fatalf("mbsync against Ferrymail exited %d:\n%s", code, imapTail(out, 60))
	}
	// isync reports "UIDVALIDITY of far side changed" (or of "near side")
	// and refuses to sync that folder; -Dn also shows the server's own
	// "* OK [UIDVALIDITY n]" lines, which are not a change.
	if changed := grepLines(out, `(?i)uidvalidity.*chang|chang.*uidvalidity`); changed != "" {
		t.Errorf("mbsync reports a UIDVALIDITY change:\n%s", changed)
	}
	transfer := regexp.MustCompile(`(?m)^>>> \d+ (UID )?(APPEND|STORE|EXPUNGE|FETCH .*BODY|CREATE|DELETE)`)
	if got := transfer.FindAllString(out, 5); got != nil {
		t.Errorf("mbsync against Ferrymail transferred: %q\n%s", got, imapTail(out, 40))
	}
	after := maildirState(t, local)
	if after.messages != before.messages {
		t.Errorf("the local Maildir has %d messages after the sync with Ferrymail, had %d", after.messages, before.messages)
	}
	for box, v := range before.uidvalidity {
		if _, err := strconv.ParseUint(v, 10, 32); err != nil {
			t.Errorf("%s: no FarUidValidity in mbsync's state after the sync with Dovecot (%q)", box, v)
		}
		if after.near[box] != before.near[box] {
			t.Errorf("%s: the local .uidvalidity changed: %q, was %q", box, after.near[box], before.near[box])
		}
		if after.uidvalidity[box] != v {
			t.Errorf("%s: mbsync's far-side UIDVALIDITY is %q after the sync with Ferrymail, was %q", box, after.uidvalidity[box], v)
		}
	}
	// Ferrymail creates Drafts, Sent, Junk and Trash for every account;
	// mbsync (Create Both) makes them locally, empty: the message count
	// above says that nothing came down into them.
	for box := range after.uidvalidity {
		if _, ok := before.uidvalidity[box]; !ok {
			t.Logf("mbsync made the local folder %q for a mailbox Ferrymail has and Dovecot had not (empty)", box)
		}
	}
}

// localMail is what mbsync's local side holds.
type localMail struct {
	messages    int
	uidvalidity map[string]string // folder → the far side's UIDVALIDITY in .mbsyncstate
	near        map[string]string // folder → the local Maildir's .uidvalidity file
}

func maildirState(t *testing.T, root string) localMail {
	t.Helper()
	s := localMail{uidvalidity: map[string]string{}, near: map[string]string{}}
	farRE := regexp.MustCompile(`(?m)^FarUidValidity (\d+)$`)
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		dir := filepath.Base(filepath.Dir(p))
		switch {
		case fi.Mode().IsRegular() && (dir == "cur" || dir == "new"):
			s.messages++
		case fi.Name() == ".uidvalidity":
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, filepath.Dir(p))
			s.near[rel] = string(b)
		case fi.Name() == ".mbsyncstate":
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, filepath.Dir(p))
			if m := farRE.FindSubmatch(b); m != nil {
				s.uidvalidity[rel] = string(m[1])
			} else {
				s.uidvalidity[rel] = "?"
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func grepLines(s, re string) string {
	r := regexp.MustCompile(re)
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if r.MatchString(l) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestImportIMAPCutover: a bulk import, then the days before the switch
// at Dovecot (new mail, flag changes, expunges), then the delta import
// with --expunge-missing: "ferrymail verify" finds Dovecot and Ferrymail
// identical over IMAP and POP3. Then a flag changed at Ferrymail only is
// a difference (exit 1, named), and a refused login is exit 3.
func TestImportIMAPCutover(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	m := newMigration(t, "INBOX=120,Archive=60,Entw&APw-rfe=30")
	m.importIMAP(t)
	runIMAPSeed(t, m.d, "change", "INBOX,Archive")
	t.Logf("delta import:\n%s", m.importIMAP(t, "--expunge-missing"))

	srv := startServe(t, m.data)
	r := m.verify(t, srv)
	requireIdentical(t, r, "after the cut-over")
	t.Logf("verify:\n%s", r.stdout)
	if !strings.Contains(r.stdout, "POP3: identical") || !strings.Contains(r.stdout, "Entwürfe: identical") {
		t.Errorf("verify did not compare POP3 and every mailbox:\n%s", r.stdout)
	}

	// A flag set at Ferrymail only.
	c, err := imapclient.DialInsecure(imapAddr(t, srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("Archive", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(20), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{"$OnlyHere"}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	c.Logout().Wait()
	r = m.verify(t, srv)
	if r.code != 1 || !strings.Contains(r.stdout, "Archive: 1 differences") || !strings.Contains(r.stdout, "flags: UID 20: flags old") ||
		!strings.Contains(r.stdout, "$OnlyHere") || !strings.Contains(r.stderr, "1 differences") {
		t.Errorf("a flag set at Ferrymail only: exit %d, want 1 and the difference named\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	// A refused login: nothing compared, exit 3.
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("wrong\n"), 0o600)
	r = ferrymail(t, "", "verify", "--old-host", m.dovecotIMAP(), "--old-user", "alice", "--old-password-file", bad,
		"--new-host", imapAddr(t, srv), "--new-user", "alice", "--new-password-file", m.pwFile)
	if r.code != 3 || !strings.Contains(r.stderr, "logging in") || r.stdout != "" {
		t.Errorf("a refused login: exit %d, want 3\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestImportIMAPKilled: "ferrymail import imap" killed with SIGKILL in
// the middle of its work, three times, then run to the end: Ferrymail
// serves what Dovecot serves (verify exits 0: no UID missing, none
// doubled). Each killed run reads Dovecot through a relay on loopback
// that counts the bytes Dovecot sends and kills the import once
// killAfter of them have passed: the kills fall by progress, not by time,
// so they land mid-mailbox on a slow machine as on a fast one. (Each run
// skips what the killed ones committed, so the kills walk through the
// mailboxes.)
func TestImportIMAPKilled(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	m := newMigration(t, "INBOX=500,Archive=150") // about 4.4 MB in all, 3.3 MB of it INBOX
	// The importer commits every 200 messages (importer.DefaultBatchCount),
	// some 1.4 MB here: a run that reads 1.7 MB commits a batch and is
	// killed in the next (runs 1 and 2, in INBOX); the third has 0.5 MB of
	// INBOX left and is killed in Archive.
	for run, killAfter := range []int64{1700 << 10, 1700 << 10, 900 << 10} {
		relay := newCountingRelay(t, m.dovecotIMAP(), killAfter)
		args := m.importArgs()
		for i, a := range args {
			if a == m.dovecotIMAP() {
				args[i] = relay.addr
			}
		}
		cmd := exec.Command(binary, args...)
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		how := "killed"
		select {
		case err := <-done:
			how = fmt.Sprintf("finished first (%v)", err)
		case <-relay.reached:
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
		case <-time.After(time.Minute):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			t.Fatalf("run %d: the import neither finished nor read %d bytes within a minute:\n%s", run+1, killAfter, out.String())
		}
		boxes := mustSucceed(t, "", "mailbox", "list", "--data", m.data, "alice")
		t.Logf("run %d %s after Dovecot sent %d bytes; the store then:\n%s", run+1, how, relay.sent.Load(), boxes)
	}
	t.Logf("the completing run:\n%s", m.importIMAP(t))
	srv := startServe(t, m.data)
	requireIdentical(t, m.verify(t, srv), "after the killed imports and a complete one")
}

// countingRelay forwards loopback connections to a server and closes
// reached once the server has sent limit bytes in all.
type countingRelay struct {
	addr    string
	sent    atomic.Int64
	reached chan struct{}
	once    sync.Once
}

func newCountingRelay(t *testing.T, server string, limit int64) *countingRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &countingRelay{addr: ln.Addr().String(), reached: make(chan struct{})}
	var conns sync.WaitGroup
	t.Cleanup(func() { ln.Close(); conns.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", server)
			if err != nil {
				c.Close()
				continue
			}
			conns.Add(2)
			go func() { defer conns.Done(); io.Copy(s, c); s.Close() }()
			go func() {
				defer conns.Done()
				defer c.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := s.Read(buf)
					if n > 0 {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
						if r.sent.Add(int64(n)) >= limit {
							r.once.Do(func() { close(r.reached) })
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return r
}
