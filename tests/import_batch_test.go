package tests

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fillDovecotUser writes messages into the INBOX Maildir of a Dovecot user
// (any name logs in with password pw: startDovecot's static passdb), owned
// as Dovecot's own files are.
func fillDovecotUser(t testing.TB, d *dovecotProc, user string, bodies []string) {
	t.Helper()
	md := filepath.Join(d.home, user, "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(md, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range bodies {
		name := fmt.Sprintf("%d.M%dP%d.%s", time.Now().Unix(), i, os.Getpid(), strings.ReplaceAll(user, ".", "_"))
		name += fmt.Sprintf("_%d", time.Now().UnixNano())
		if err := os.WriteFile(filepath.Join(md, "new", name), []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(d.home)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	filepath.Walk(filepath.Join(d.home, user), func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			err = os.Lchown(p, int(st.Uid), int(st.Gid))
		}
		return err
	})
}

// batchFixture is a Dovecot with n POP3 users src1..srcN (user i has i+2
// messages), a Ferrymail data directory with users dst1..dstN, and a
// password file.
type batchFixture struct {
	d      *dovecotProc
	data   string
	dir    string // the batch file's directory
	pwFile string
	n      int
}

func newBatchFixture(t *testing.T, n int) *batchFixture {
	t.Helper()
	f := &batchFixture{d: startDovecot(t, "maildir:~/Maildir", ""), data: filepath.Join(t.TempDir(), "data"), dir: t.TempDir(), n: n}
	for i := 1; i <= n; i++ {
		var bodies []string
		for j := 1; j <= i+2; j++ {
			bodies = append(bodies, fmt.Sprintf("From: a@example.org\nSubject: user %d message %d\nMessage-ID: <%d.%d@legacy>\n\n%s\n", i, j, i, j, strings.Repeat("x", 100*j)))
		}
		fillDovecotUser(t, f.d, fmt.Sprintf("src%d", i), bodies)
		mustSucceed(t, "pw\n", "user", "add", "--data", f.data, fmt.Sprintf("dst%d", i))
	}
	// A relative password file path is read from the batch file's directory.
	f.pwFile = "legacy-password"
	if err := os.WriteFile(filepath.Join(f.dir, f.pwFile), []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// csv writes a batch file with a row per user, and extra rows.
func (f *batchFixture) csv(t *testing.T, extra ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("protocol,host,tls,source_user,password_file,target_user,dry_run\n")
	for i := 1; i <= f.n; i++ {
		fmt.Fprintf(&b, "pop3,127.0.0.1:%d,none,src%d,%s,dst%d,\n", f.d.pop3Port, i, f.pwFile, i)
	}
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	path := filepath.Join(f.dir, "accounts.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// messages counts the messages of a Ferrymail user's INBOX.
func (f *batchFixture) messages(t *testing.T, user string) int {
	return len(listedMessages(t, mustSucceed(t, "", "message", "list", "--data", f.data, user, "INBOX")))
}

// TestImportBatch: six accounts, one of which points at a port where no
// server listens, with --parallel 2. Each account gets one summary line;
// the failed one does not stop the others and makes the exit status
// non-zero. A re-run skips the finished accounts (state file) and retries
// the failed one. Through a running server, with the state file gone, the
// batch brings only the delta of each account.
func TestImportBatch(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	f := newBatchFixture(t, 5)
	mustSucceed(t, "pw\n", "user", "add", "--data", f.data, "dst6")
	dead := freePort(t) // nothing listens here
	deadRow := fmt.Sprintf("pop3,127.0.0.1:%d,none,src6,%s,dst6,", dead, f.pwFile)
	csvPath := f.csv(t, deadRow)

	r := ferrymail(t, "", "import", "batch", "--data", f.data, "--parallel", "2", csvPath)
	if r.code != 1 {
		t.Fatalf("batch with a dead server: exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("first run:\n%s", r.stdout)
	for i := 1; i <= 5; i++ {
		want := fmt.Sprintf("line %d pop3://src%d@127.0.0.1:%d -> dst%d: ok; %d imported, 0 skipped, 0 errors, ", i+1, i, f.d.pop3Port, i, i+2)
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no summary line %q", want)
		}
		if got := f.messages(t, fmt.Sprintf("dst%d", i)); got != i+2 {
			t.Errorf("dst%d has %d messages, want %d", i, got, i+2)
		}
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("line 7 pop3://src6@127.0.0.1:%d -> dst6: FAILED: ", dead)) ||
		!strings.Contains(r.stdout, "batch: 6 accounts: 5 ok, 1 failed, 0 done in an earlier run; 25 messages imported") {
		t.Errorf("first run's failure or total line missing:\n%s", r.stdout)
	}
	if lines := strings.Count("\n"+r.stdout, "\nline "); lines != 6 {
		t.Errorf("%d summary lines, want 6:\n%s", lines, r.stdout)
	}

	// Resume: the five finished accounts are skipped, the failed one retried.
	r = ferrymail(t, "", "import", "batch", "--data", f.data, csvPath)
	if r.code != 1 || !strings.Contains(r.stdout, "resuming: ") ||
		!strings.Contains(r.stdout, "batch: 6 accounts: 0 ok, 1 failed, 5 done in an earlier run; 0 messages imported") {
		t.Errorf("re-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// The row corrected: only it runs.
	csvPath = f.csv(t, strings.Replace(deadRow, fmt.Sprint(dead), fmt.Sprint(f.d.pop3Port), 1))
	fillDovecotUser(t, f.d, "src6", []string{"Subject: six\n\nsix\n"})
	r = ferrymail(t, "", "import", "batch", "--data", f.data, csvPath)
	if r.code != 0 || !strings.Contains(r.stdout, "batch: 6 accounts: 1 ok, 0 failed, 5 done in an earlier run; 1 messages imported") {
		t.Errorf("corrected re-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	// The cut-over through the running server, state file removed: every
	// account runs again, as a delta.
	srv := startServe(t, f.data)
	defer srv.sigterm(t)
	fillDovecotUser(t, f.d, "src3", []string{"Subject: late\n\nlate\n"})
	if err := os.Remove(csvPath + ".state"); err != nil {
		t.Fatal(err)
	}
	r = ferrymail(t, "", "import", "batch", "--data", f.data, "--parallel", "3", csvPath)
	if r.code != 0 || !strings.Contains(r.stdout, "-> dst3: ok; 1 imported, 5 skipped, 0 errors") ||
		!strings.Contains(r.stdout, "batch: 6 accounts: 6 ok, 0 failed, 0 done in an earlier run; 1 messages imported") {
		t.Errorf("delta through the server: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := strings.Count(srv.stderr.String(), "format=pop3 source=pop3://src"); got != 6 {
		t.Errorf("the server ran %d imports, want 6; its log:\n%s", got, srv.stderr.String())
	}
}

// TestImportBatchBadFile: a batch file with errors names every bad line
// and imports nothing; an unknown target user is caught before anything
// runs too.
func TestImportBatchBadFile(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	f := newBatchFixture(t, 1)
	csvPath := f.csv(t, "smtp,127.0.0.1:25,none,x,legacy-password,dst1,", "pop3,127.0.0.1:110,tls?,y,legacy-password,dst1,", "pop3,127.0.0.1:110,none,z,no-such-file,dst1,maybe")
	r := ferrymail(t, "", "import", "batch", "--data", f.data, csvPath)
	if r.code != 1 {
		t.Fatalf("bad file: exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{":3: protocol \"smtp\"", ":4: tls \"tls?\"", ":5: password_file: ", ":5: dry_run: \"maybe\""} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if got := f.messages(t, "dst1"); got != 0 {
		t.Errorf("a bad batch file imported %d messages", got)
	}
	csvPath = f.csv(t, fmt.Sprintf("pop3,127.0.0.1:%d,none,src1,legacy-password,nobody,", f.d.pop3Port))
	r = ferrymail(t, "", "import", "batch", "--data", f.data, csvPath)
	if r.code != 1 || !strings.Contains(r.stderr, `:3: target_user "nobody" is not a Ferrymail user`) || f.messages(t, "dst1") != 0 {
		t.Errorf("unknown target user: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestImportBatchKilled kills "ferrymail import batch" with SIGKILL once
// the first account has finished, and runs it again: the re-run skips what
// the state file records, completes the rest, and every account ends with
// exactly its source's messages (nothing lost, nothing doubled).
func TestImportBatchKilled(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	f := newBatchFixture(t, 8)
	csvPath := f.csv(t)
	cmd := exec.Command(binary, "import", "batch", "--data", f.data, "--parallel", "1", csvPath)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "line ") {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	r := ferrymail(t, "", "import", "batch", "--data", f.data, csvPath)
	if r.code != 0 || !strings.Contains(r.stdout, "resuming: ") {
		t.Fatalf("re-run after kill -9: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("re-run after kill -9:\n%s", r.stdout)
	for i := 1; i <= 8; i++ {
		if got := f.messages(t, fmt.Sprintf("dst%d", i)); got != i+2 {
			t.Errorf("dst%d has %d messages, want %d", i, got, i+2)
		}
	}
}

// TestImportBatchIMAPThenAttach: the batch file of a server with both
// views. For each user an IMAP row (the mailboxes with their UIDVALIDITY
// and UIDs) and a POP3 row with attach_uidls (Dovecot's POP3 UIDLs, here
// pop3_uidl_format %g, given to the imported INBOX); rows of one user run
// in file order, so the attach finds the IMAP-imported messages. Ferrymail's
// POP3 UIDL listing then equals Dovecot's for every user.
func TestImportBatchIMAPThenAttach(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	d := startDovecot(t, "maildir:~/Maildir", "pop3_uidl_format = %g\n")
	data := filepath.Join(t.TempDir(), "data")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("protocol,host,tls,source_user,password_file,target_user,attach_uidls\n")
	const users = 3
	for u := 1; u <= users; u++ {
		var bodies []string
		for j := 1; j <= 4+u; j++ {
			// Pairs of messages of equal size: the header tells them apart.
			bodies = append(bodies, fmt.Sprintf("From: a@example.org\nSubject: user %d message %d\nMessage-ID: <%d.%d@legacy>\n\n%s\n", u, j%10, u, j, strings.Repeat("y", 200*(j/2))))
		}
		fillDovecotUser(t, d, fmt.Sprintf("src%d", u), bodies)
		mustSucceed(t, "pw\n", "user", "add", "--data", data, fmt.Sprintf("dst%d", u))
		fmt.Fprintf(&csv, "imap,127.0.0.1:%d,none,src%d,pw,dst%d,\n", d.imapPort, u, u)
		fmt.Fprintf(&csv, "pop3,127.0.0.1:%d,none,src%d,pw,dst%d,yes\n", d.pop3Port, u, u)
	}
	csvPath := filepath.Join(dir, "accounts.csv")
	if err := os.WriteFile(csvPath, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	r := ferrymail(t, "", "import", "batch", "--data", data, "--parallel", "3", csvPath)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("batch: %d accounts: %d ok, 0 failed", 2*users, 2*users)) {
		t.Fatalf("batch: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("batch:\n%s", r.stdout)
	srv := startServe(t, data)
	defer srv.sigterm(t)
	addr := pop3Addr(t, srv)
	for u := 1; u <= users; u++ {
		legacy := pop3Listing(t, fmt.Sprintf("127.0.0.1:%d", d.pop3Port), fmt.Sprintf("src%d", u), "pw")
		got := pop3Listing(t, addr, fmt.Sprintf("dst%d", u), "pw")
		if strings.Join(got, " ") != strings.Join(legacy, " ") || len(got) != 4+u {
			t.Errorf("dst%d: Ferrymail lists UIDLs\n%q\nDovecot src%d\n%q", u, got, u, legacy)
		}
	}
}
