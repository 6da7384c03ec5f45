package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// writeFiles creates files (path → content) below dir; mtimes are set to
// a fixed time so that INTERNALDATE is known.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		mtime := time.Date(2010, 6, 14, 15, 14, 47, 0, time.UTC)
		os.Chtimes(p, mtime, mtime)
	}
}

// listedMessages parses "message list": one "UID UIDL SIZE (FLAGS)" line
// per message.
func listedMessages(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var got []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		flags := strings.Join(f[5:], " ")
		got = append(got, strings.Join([]string{f[0], f[1], f[2], flags}, " "))
	}
	return got
}

func newUser(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	mustSucceed(t, "pw\n", "user", "add", "--data", data, "alice")
	return data
}

// TestImportCourierMaildir: a Courier Maildir built from the documented
// formats (LEGACY-FORMATS.md §b.2) imports with Courier's IMAP UIDs and its
// own POP3 UIDLs, keywords and subscriptions; a Dovecot uidlist v1 folder
// and a folder without identifier files are imported too.
func TestImportCourierMaildir(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "Maildir")
	m := func(subject string) string { return "Subject: " + subject + "\n\nbody\n" }
	size := func(subject string) int { return len(m(subject)) + 3 } // CRLF
	writeFiles(t, src, map[string]string{
		"courierimapuiddb":                        "1 276528000 2958\n1 1276528487.M364837P9451.host\n2 1276528499.M1P1.host\n",
		"courierpop3dsizelist":                    "/3 1287 1276529134\n1276528487.M364837P9451.host:2,S 26 1283:1276529134:0\n1276528499.M1P1.host:2,RS 26 1284:1276529134:0\n",
		"courierimapkeywords/:list":               "$Label1\nproject\n\n1276528499.M1P1.host:0 1\n",
		"courierimapsubscribed":                   "INBOX.Sent\nINBOX.Archive.2023\n",
		"cur/1276528487.M364837P9451.host:2,S":    m("one"),
		"cur/1276528499.M1P1.host:2,RS":           m("two"),
		"new/1276529000.M9P9.host":                m("new"), // not in courierimapuiddb: a new UID
		".Sent/courierimapuiddb":                  "1 276528100 4\n3 1276528600.M1P1.host\n",
		".Sent/cur/1276528600.M1P1.host:2,S":      m("sent"),
		".Archive.2023/dovecot-uidlist":           "1 1000 50\n10 1.M1.h\n20 2.M2.h:2,S\n15 3.M3.h\n",
		".Archive.2023/cur/1.M1.h:2,F":            m("a1"),
		".Archive.2023/cur/2.M2.h:2,S":            m("a2"),
		".Archive.2023/cur/3.M3.h:2,":             m("a3"), // its uidlist line is out of order: a new UID
		".Entw&APw-rfe/cur/1276530000.M2P2.h:2,D": m("draft b"),
		".Entw&APw-rfe/cur/1276520000.M1P1.h:2,":  m("draft a"),
	})
	data := newUser(t)
	r := ferrymail(t, "", "import", "maildir", "--data", data, "--to", "alice", src)
	if r.code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"UIDVALIDITY 276528000 kept", "UIDVALIDITY 276528100 kept", "UIDVALIDITY 1000 kept",
		"dovecot-uidlist:4: UIDs not ordered (15 after 20)",
		"no identifier files", "POP3 UIDLs and order from courierpop3dsizelist (version 3)",
		"1 messages not in the identifier file",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	tests := []struct {
		mailbox string
		want    []string
	}{
		{"INBOX", []string{
			fmt.Sprintf(`1 UID1283-1276529134 %d (\Seen)`, size("one")),
			fmt.Sprintf(`2 UID1284-1276529134 %d (\Seen \Answered $Label1 project)`, size("two")),
			fmt.Sprintf(`2958 %08x%08x %d ()`, 2958, 276528000, size("new")),
		}},
		{"Sent", []string{fmt.Sprintf(`3 %08x%08x %d (\Seen)`, 3, 276528100, size("sent"))}},
		{"Archive/2023", []string{
			fmt.Sprintf(`10 %08x%08x %d (\Flagged)`, 10, 1000, size("a1")),
			fmt.Sprintf(`20 %08x%08x %d (\Seen)`, 20, 1000, size("a2")),
			fmt.Sprintf(`50 %08x%08x %d ()`, 50, 1000, size("a3")),
		}},
	}
	for _, tt := range tests {
		got := listedMessages(t, mustSucceed(t, "", "message", "list", "--data", data, "alice", tt.mailbox))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\ngot  %q\nwant %q", tt.mailbox, got, tt.want)
		}
	}
	// Without identifier files: UIDs in the order of the filenames' times.
	got := listedMessages(t, mustSucceed(t, "", "message", "list", "--data", data, "alice", "Entwürfe"))
	if len(got) != 2 || !strings.HasPrefix(got[0], "1 ") || !strings.HasSuffix(got[0], "()") || !strings.HasSuffix(got[1], `(\Draft)`) {
		t.Errorf("Entwürfe: got %q", got)
	}
	boxes := listedMailboxes(t, mustSucceed(t, "", "mailbox", "list", "--data", data, "alice"))
	if f := boxes["INBOX"]; f[1] != "276528000" || f[2] != "2959" {
		t.Errorf("INBOX: %q, want UIDVALIDITY 276528000 UIDNEXT 2959", f)
	}
	for name, sub := range map[string]string{"Archive/2023": "yes", "Entwürfe": "no"} {
		if f := boxes[name]; f[len(f)-1] != sub {
			t.Errorf("%s: subscribed %q, want %s", name, f[len(f)-1], sub)
		}
	}
	// POP3 order from courierpop3dsizelist, read from the store.
	st := mustOpenStore(t, data)
	ctx := context.Background()
	acc, _ := st.Account(ctx, "alice")
	inbox, _ := st.Mailbox(ctx, acc.ID, "INBOX")
	msgs, _ := st.Messages(ctx, acc.ID, inbox.ID)
	var order []uint32
	for _, m := range msgs {
		order = append(order, m.POP3Order)
	}
	if !reflect.DeepEqual(order, []uint32{1, 2, 0}) {
		t.Errorf("POP3 order %v, want [1 2 0]", order)
	}
	mustClose(t, st)
}

// TestImportUWMbox: the UW example of LEGACY-FORMATS.md §b.3 as a
// directory of mbox files; the mbox-internal headers are not stored.
func TestImportUWMbox(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "mail")
	// A body with a From_ line, delimited by a valid Content-Length.
	body1 := "From bob Mon Jan  1 00:00:00 2024 inside a Content-Length body\nok\n"
	writeFiles(t, src, map[string]string{
		"INBOX": "From MAILER_DAEMON Wed Jun 16 10:00:00 2010\nDate: Wed, 16 Jun 2010 10:00:00 +0300\n" +
			"From: Mail System Internal Data <MAILER-DAEMON@host>\nSubject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\n" +
			"Message-ID: <1276671600@host>\nX-IMAP: 1276671600 0000000042 $Forwarded Junk\nStatus: RO\n\n" +
			"This text is part of the internal format of your mail folder, and is not\na real message.\n\n" +
			"From alice@example.com Wed Jun 16 10:05:00 2010 +0000\nSubject: first\nStatus: RO\nX-Status: AF\n" +
			"X-Keywords: $Forwarded                  \nX-UID: 41\nX-UIDL: qpop-41\nContent-Length: " + fmt.Sprint(len(body1)) + "\n\n" +
			body1 + "\n" +
			"From bob@example.com Wed Jun 16 10:06:00 2010 +0000\nSubject: second\nStatus: O\nX-UID: 42\n\n>From quoted\nbye\n\n",
		"lists/golang":   "From x@example.com Mon Jan  1 00:00:00 2024 +0000\nSubject: g\n\ng\n",
		"notes.txt":      "not an mbox\n",
		".subscriptions": "lists/golang\n",
	})
	// What UW and Dovecot served: the hidden headers gone, X-UIDL kept,
	// ">From" as it is, CRLF line ends.
	served1 := "Subject: first\r\nX-UIDL: qpop-41\r\n\r\n" + strings.ReplaceAll(body1, "\n", "\r\n")
	served2 := "Subject: second\r\n\r\n>From quoted\r\nbye\r\n"
	data := newUser(t)
	for _, scheme := range []string{"uw", "xuidl"} {
		r := ferrymail(t, "", "import", "mbox", "--data", data, "--to", "alice", "--uidl-scheme", scheme, src)
		if r.code != 0 || !strings.Contains(r.stdout, "UIDVALIDITY 1276671600 kept") || !strings.Contains(r.stdout, "notes.txt: not an mbox") {
			t.Fatalf("import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	}
	got := listedMessages(t, mustSucceed(t, "", "message", "list", "--data", data, "alice", "INBOX"))
	want := []string{
		fmt.Sprintf(`41 4c18767000000029 %d (\Seen \Answered \Flagged $Forwarded)`, len(served1)),
		fmt.Sprintf(`42 4c1876700000002a %d ()`, len(served2)),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("INBOX:\ngot  %q\nwant %q", got, want)
	}
	boxes := listedMailboxes(t, mustSucceed(t, "", "mailbox", "list", "--data", data, "alice"))
	if f := boxes["INBOX"]; f[1] != "1276671600" || f[2] != "43" {
		t.Errorf("INBOX: %q, want UIDVALIDITY 1276671600 UIDNEXT 43", f)
	}
	if f := boxes["lists/golang"]; f == nil || f[3] != "1" || f[len(f)-1] != "yes" {
		t.Errorf("lists/golang: %q", f)
	}
	// A single file into a named mailbox.
	mustSucceed(t, "", "import", "mbox", "--data", data, "--to", "alice", "--mailbox", "Lists/Go", filepath.Join(src, "lists", "golang"))
	if got := listedMessages(t, mustSucceed(t, "", "message", "list", "--data", data, "alice", "Lists/Go")); len(got) != 1 {
		t.Errorf("Lists/Go: %q", got)
	}
}

// TestImportKilledResumes kills "ferrymail import" with SIGKILL at several
// moments and runs it again each time: at the end the store holds exactly
// the source's messages, none lost or doubled, with their UIDs. Both
// sources: a Maildir (source keys are filenames) and an mbox (source keys
// are content keys; three messages above 1 MiB stream into the store).
func TestImportKilledResumes(t *testing.T) {
	t.Parallel()
	const n = 3000
	body := func(i int) string {
		if i%1000 == 500 {
			return strings.Repeat("a long line of a large message\n", 40000) // 1.3 MB
		}
		return strings.Repeat("text of the body ", 100+i%50) + "\n"
	}
	for _, kind := range []string{"maildir", "mbox"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var src string
			if kind == "maildir" {
				src = filepath.Join(dir, "Maildir")
				files := map[string]string{}
				var uidlist strings.Builder
				uidlist.WriteString("3 V424242 N9000\n")
				for i := 1; i <= n; i++ {
					name := fmt.Sprintf("%d.M%dP1.host", 1700000000+i, i)
					files["cur/"+name+":2,S"] = fmt.Sprintf("Subject: message %d\nMessage-ID: <%d@example>\n\n%s", i, i, body(i))
					fmt.Fprintf(&uidlist, "%d :%s\n", 2*i, name) // UIDs with gaps
				}
				files["dovecot-uidlist"] = uidlist.String()
				writeFiles(t, src, files)
			} else {
				src = filepath.Join(dir, "inbox.mbox")
				var mb strings.Builder
				for i := 1; i <= n; i++ {
					mb.WriteString("From bob@example.org Mon Jan  1 00:00:00 2024\n")
					if i == 1 {
						mb.WriteString("X-IMAPbase: 424242 0000009000\n")
					}
					fmt.Fprintf(&mb, "Subject: message %d\nMessage-ID: <%d@example>\nX-UID: %d\nStatus: RO\n\n%s\n", i, i, 2*i, body(i))
				}
				writeFiles(t, dir, map[string]string{"inbox.mbox": mb.String()})
			}
			data := newUser(t)
			importArgs := []string{"import", kind, "--data", data, "--to", "alice", src}
			got := killImportAndResume(t, data, n, []time.Duration{60, 90, 120, 150, 180, 210, 250, 300, 400}, importArgs...)
			for i, line := range got {
				if uid := fmt.Sprint(2 * (i + 1)); !strings.HasPrefix(line, uid+" ") || !strings.HasSuffix(line, `(\Seen)`) {
					t.Fatalf("message %d: %q, want UID %s", i+1, line, uid)
				}
			}
			st := mustOpenStore(t, data)
			mustClose(t, st) // runs CheckConsistency
			r := ferrymail(t, "", importArgs...)
			if !strings.Contains(r.stdout, fmt.Sprintf("0 messages imported (0 bytes), %d already there", n)) {
				t.Errorf("a further run:\n%s", r.stdout)
			}
		})
	}
}

// TestImportWhileServing: a dry run writes nothing, locally or through a
// running server; bad flags are refused before anything is opened; an
// unknown user is an error through the socket as locally.
func TestImportWhileServing(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "Maildir")
	writeFiles(t, src, map[string]string{"cur/1.M1.h:2,S": "Subject: x\n\nx\n"})
	data := newUser(t)
	dryRun := []string{"import", "maildir", "--dry-run", "--data", data, "--to", "alice", src}
	r := ferrymail(t, "", dryRun...)
	if r.code != 0 || !strings.Contains(r.stdout, "1 messages to import") {
		t.Errorf("dry run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	p := startServe(t, data)
	r = ferrymail(t, "", dryRun...)
	if r.code != 0 || !strings.Contains(r.stdout, "1 messages to import") {
		t.Errorf("dry run through the server: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := listedMessages(t, mustSucceed(t, "", "message", "list", "--data", data, "alice", "INBOX")); len(got) != 0 {
		t.Errorf("messages after dry runs: %q", got)
	}
	mustFail(t, 2, "", "import", "maildir", "--data", data, src)                                         // no --to
	mustFail(t, 2, "", "import", "maildir", "--data", data, "--to", "alice", "--uidl-scheme", "%x", src) // bad scheme
	for _, serving := range []bool{true, false} {
		msg := mustFail(t, 1, "", "import", "maildir", "--data", data, "--to", "nobody", src)
		if !strings.Contains(msg, `importing into "nobody"`) || !strings.Contains(msg, "ferrymail user add") {
			t.Errorf("unknown user (serving: %v): %q", serving, msg)
		}
		msg = mustFail(t, 1, "", "import", "maildir", "--data", data, "--to", "alice", filepath.Join(src, "nope"))
		if !strings.Contains(msg, filepath.Join(src, "nope")) {
			t.Errorf("missing source (serving: %v): %q", serving, msg)
		}
		if serving {
			p.sigterm(t)
		}
	}
}

// TestImportCollisionRenumber: mail delivered to Ferrymail between two runs
// takes a UID that the old server also gave out. The second run stops that
// mailbox (exit 1, naming it); with --renumber the mailbox gets a new
// UIDVALIDITY and the source's message a new UID.
func TestImportCollisionRenumber(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "Maildir")
	writeFiles(t, src, map[string]string{
		"dovecot-uidlist": "3 V5000 N3\n1 :1.M1.h\n2 :2.M2.h\n",
		"cur/1.M1.h:2,S":  "Subject: 1\n\n1\n",
		"cur/2.M2.h:2,S":  "Subject: 2\n\n2\n",
	})
	data := newUser(t)
	mustSucceed(t, "", "import", "maildir", "--data", data, "--to", "alice", src)
	// A native delivery takes UID 3 under UIDVALIDITY 5000...
	st := mustOpenStore(t, data)
	ctx := context.Background()
	acc, _ := st.Account(ctx, "alice")
	inbox, _ := st.Mailbox(ctx, acc.ID, "INBOX")
	if a, err := st.Append(ctx, acc.ID, inbox.ID, strings.NewReader("Subject: native\r\n\r\n"), store.AppendOptions{}); err != nil || a.Message.UID != 3 {
		t.Fatalf("Append: %+v %v", a, err)
	}
	mustClose(t, st)
	// ... and the old server gives UID 3 to another message.
	writeFiles(t, src, map[string]string{
		"dovecot-uidlist": "3 V5000 N4\n1 :1.M1.h\n2 :2.M2.h\n3 :3.M3.h\n",
		"cur/3.M3.h:2,":   "Subject: 3\n\n3\n",
	})
	r := ferrymail(t, "", "import", "maildir", "--data", data, "--to", "alice", src)
	if r.code != 1 || !strings.Contains(r.stdout, "STOPPED") || !strings.Contains(r.stdout, "already holds UID 3") {
		t.Fatalf("collision: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = ferrymail(t, "", "import", "maildir", "--renumber", "--data", data, "--to", "alice", src)
	if r.code != 0 || !strings.Contains(r.stdout, "renumbered") {
		t.Fatalf("--renumber: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	boxes := listedMailboxes(t, mustSucceed(t, "", "mailbox", "list", "--data", data, "alice"))
	if f := boxes["INBOX"]; f[1] == "5000" || f[3] != "4" {
		t.Errorf("INBOX after --renumber: %q, want a new UIDVALIDITY and 4 messages", f)
	}
	got := listedMessages(t, mustSucceed(t, "", "message", "list", "--data", data, "alice", "INBOX"))
	var uids []string
	for _, l := range got {
		uids = append(uids, strings.Fields(l)[0])
	}
	if !reflect.DeepEqual(uids, []string{"1", "2", "3", "4"}) {
		t.Errorf("UIDs %v, want [1 2 3 4]", uids)
	}
}

// killImportAndResume runs `ferrymail importArgs…` and SIGKILLs it after
// each delay (bounded: one run per delay), checking that INBOX of alice in
// data never shrinks; then a run to the end must succeed. It returns
// INBOX's listing ("message list" lines) after that run, which must hold n
// messages. A kill that lands before or after the import is logged, not
// failed: how far a run gets depends on the machine.
func killImportAndResume(t *testing.T, data string, n int, delays []time.Duration, importArgs ...string) []string {
	t.Helper()
	last, midway := 0, 0
	for _, delay := range delays {
		cmd := exec.Command(binary, importArgs...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		have := len(listedMessages(t, mustSucceed(t, "", "message", "list", "--data", data, "alice", "INBOX")))
		t.Logf("killed after %v: %d messages", delay*time.Millisecond, have)
		if have < last {
			t.Errorf("after a kill %d messages, before it %d", have, last)
		}
		if have > 0 && have < n {
			midway++
		}
		last = have
	}
	if midway == 0 {
		t.Logf("no kill landed in the middle of the import (a slow or fast machine); the re-run is still checked")
	}
	r := ferrymail(t, "", importArgs...)
	if r.code != 0 {
		t.Fatalf("final run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	got := listedMessages(t, mustSucceed(t, "", "message", "list", "--data", data, "alice", "INBOX"))
	if len(got) != n {
		t.Fatalf("%d messages after the kills, want %d", len(got), n)
	}
	return got
}
