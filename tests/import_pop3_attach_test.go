package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportPOP3AttachUIDLs: a Dovecot whose POP3 UIDLs (pop3_uidl_format
// %g, the Maildir file name) differ from Ferrymail's template. Its INBOX
// is imported over IMAP ("ferrymail import imap": UIDVALIDITY and UIDs
// kept, UIDLs from the template), so the POP3 clients that cached
// Dovecot's UIDLs would download everything again. "import pop3 --attach-uidls", through the running server, matches
// Dovecot's POP3 listing to the INBOX messages (sizes, and for messages of
// equal size the header hash from TOP n 0) and gives them Dovecot's UIDLs:
// Ferrymail's UIDL listing then equals Dovecot's exactly, fetchmail and mpop
// download nothing, a re-run changes nothing, and a message only Dovecot
// has is reported by its UIDL.
func TestImportPOP3AttachUIDLs(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	d := startDovecot(t, "maildir:~/Maildir", "pop3_uidl_format = %g\n")
	var bodies []string
	for i := 1; i <= 10; i++ {
		var b string
		if i <= 4 {
			// Four messages of one size: only their headers tell them apart.
			b = fmt.Sprintf("From: sender@example.org\nTo: alice@example.org\nSubject: same size %d\nMessage-ID: <same%d@legacy>\n\n%s\n", i, i, strings.Repeat("equal ", 40))
		} else {
			b = fmt.Sprintf("From: sender%d@example.org\nTo: alice@example.org\nSubject: legacy %d\nMessage-ID: <%d@legacy>\n\n%s\n", i, i, i, strings.Repeat("text ", 30+i*7))
		}
		bodies = append(bodies, b)
	}
	fillDovecotInbox(t, d, 0, bodies)
	dovecotAddr := fmt.Sprintf("127.0.0.1:%d", d.pop3Port)
	legacy := pop3Listing(t, dovecotAddr, "alice", "pw")
	if len(legacy) != len(bodies) || !strings.Contains(legacy[0], ".legacy") {
		t.Fatalf("Dovecot lists UIDLs %q; want %d Maildir file names", legacy, len(bodies))
	}
	k := newKeepClients(t)
	if f, m := k.run(t, dovecotAddr, "alice", "pw"); len(f) != len(bodies) || len(m) != len(bodies) {
		t.Fatalf("against Dovecot: fetchmail got %d, mpop %d messages, want %d each", len(f), len(m), len(bodies))
	}

	data := filepath.Join(t.TempDir(), "data")
	mustSucceed(t, "pw\n", "user", "add", "--data", data, "alice")
	pwFile := filepath.Join(t.TempDir(), "legacy-password")
	if err := os.WriteFile(pwFile, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, "", "import", "imap", "--data", data, "--to", "alice", "--host", fmt.Sprintf("127.0.0.1:%d", d.imapPort),
		"--user", "alice", "--password-file", pwFile)
	srv := startServe(t, data)
	defer srv.sigterm(t)
	addr := pop3Addr(t, srv)
	before := pop3Listing(t, addr, "alice", "pw")
	if len(before) != len(bodies) || strings.Join(before, " ") == strings.Join(legacy, " ") {
		t.Fatalf("before attaching, Ferrymail lists %q: want %d template UIDLs", before, len(bodies))
	}
	attach := []string{"import", "pop3", "--data", data, "--to", "alice", "--host", dovecotAddr,
		"--user", "alice", "--password-file", pwFile, "--attach-uidls"}

	r := ferrymail(t, "", append(attach, "--dry-run")...)
	if r.code != 0 || !strings.Contains(r.stdout, "POP3 UIDLs to attach: 6 by size, 4 by size and header") {
		t.Fatalf("dry run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := pop3Listing(t, addr, "alice", "pw"); strings.Join(got, " ") != strings.Join(before, " ") {
		t.Fatalf("the dry run changed the UIDLs: %q", got)
	}

	r = ferrymail(t, "", attach...)
	if r.code != 0 || !strings.Contains(r.stdout, "POP3 UIDLs attached: 6 by size, 4 by size and header, 0 by header alone (sizes differ); 0 carried their UIDL already; 8 header hashes fetched") {
		t.Fatalf("attach: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("the attach report:\n%s", r.stdout)
	if !strings.Contains(srv.stderr.String(), "format=pop3 source=pop3://alice@"+dovecotAddr) {
		t.Errorf("the attach did not run in the server; its log:\n%s", srv.stderr.String())
	}
	if got := pop3Listing(t, addr, "alice", "pw"); strings.Join(got, " ") != strings.Join(legacy, " ") {
		t.Fatalf("after attaching, Ferrymail lists UIDLs\n%q\nDovecot\n%q", got, legacy)
	}
	if f, m := k.run(t, addr, "alice", "pw"); len(f) != 0 || len(m) != 0 {
		t.Fatalf("against Ferrymail after attaching: fetchmail got %d, mpop %d messages, want none", len(f), len(m))
	}

	// Idempotent: every message carries its UIDL already; nothing fetched.
	r = ferrymail(t, "", attach...)
	if r.code != 0 || !strings.Contains(r.stdout, "0 by size, 0 by size and header, 0 by header alone (sizes differ); 10 carried their UIDL already; 0 header hashes fetched") {
		t.Errorf("re-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	// A message only Dovecot has (it arrived there after the copy) is
	// reported by its UIDL, and the run fails; the others stay attached.
	fillDovecotInbox(t, d, 100, []string{"From: x@example.org\nSubject: only at Dovecot\nMessage-ID: <late@legacy>\n\nlate\n"})
	legacyNow := pop3Listing(t, dovecotAddr, "alice", "pw")
	late := legacyNow[len(legacyNow)-1]
	r = ferrymail(t, "", attach...)
	if r.code == 0 || !strings.Contains(r.stdout, "(UIDL "+late+"): UIDL not attached: no INBOX message has its size") {
		t.Errorf("with a message only at Dovecot: exit %d, want non-zero and %s named\n%s\n%s", r.code, late, r.stdout, r.stderr)
	}
	if got := pop3Listing(t, addr, "alice", "pw"); strings.Join(got, " ") != strings.Join(legacy, " ") {
		t.Errorf("after the failed run, Ferrymail lists UIDLs %q, want %q", got, legacy)
	}
	// The cut-over: the IMAP delta brings the new message (with its UID),
	// and attaching again gives it its POP3 UIDL; the others are left as
	// they are.
	r = ferrymail(t, "", "import", "imap", "--data", data, "--to", "alice", "--host", fmt.Sprintf("127.0.0.1:%d", d.imapPort),
		"--user", "alice", "--password-file", pwFile)
	if r.code != 0 || !strings.Contains(r.stdout, "1 messages imported") {
		t.Fatalf("IMAP delta: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = ferrymail(t, "", attach...)
	if r.code != 0 || !strings.Contains(r.stdout, "1 by size, 0 by size and header, 0 by header alone (sizes differ); 10 carried their UIDL already") {
		t.Errorf("attach after the IMAP delta: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := pop3Listing(t, addr, "alice", "pw"); strings.Join(got, " ") != strings.Join(legacyNow, " ") {
		t.Errorf("after the cut-over, Ferrymail lists UIDLs %q, Dovecot %q", got, legacyNow)
	}
	if f, m := k.run(t, addr, "alice", "pw"); len(f) != 1 || len(m) != 1 {
		t.Errorf("after the cut-over: fetchmail got %d, mpop %d messages, want the one new message each", len(f), len(m))
	}
}

// TestImportPOP3AttachAmbiguous: two messages identical in size and header
// cannot be told apart; neither gets a UIDL, both are reported, and the
// rest are attached. INBOX comes from Dovecot's Maildir this time (its
// files, dovecot-uidlist UIDs, template UIDLs).
func TestImportPOP3AttachAmbiguous(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	d := startDovecot(t, "maildir:~/Maildir", "pop3_uidl_format = %g\n")
	twin := "From: sender@example.org\nSubject: twin\nMessage-ID: <twin@legacy>\n\nsame\n"
	fillDovecotInbox(t, d, 0, []string{"From: a@example.org\nSubject: one\n\nbody one\n", twin, twin, "From: b@example.org\nSubject: four\n\nbody four, longer\n"})
	dovecotAddr := fmt.Sprintf("127.0.0.1:%d", d.pop3Port)
	legacy := pop3Listing(t, dovecotAddr, "alice", "pw")
	data := filepath.Join(t.TempDir(), "data")
	mustSucceed(t, "pw\n", "user", "add", "--data", data, "alice")
	mustSucceed(t, "", "import", "maildir", "--data", data, "--to", "alice", filepath.Join(d.home, "alice", "Maildir"))
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := ferrymail(t, "", "import", "pop3", "--data", data, "--to", "alice", "--host", dovecotAddr,
		"--user", "alice", "--password-file", pwFile, "--attach-uidls")
	if r.code == 0 || !strings.Contains(r.stdout, "POP3 UIDLs attached: 2 by size") {
		t.Fatalf("attach: exit %d, want non-zero with 2 attached\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, u := range legacy[1:3] {
		if !strings.Contains(r.stdout, "(UIDL "+u+"): UIDL not attached: ambiguous, INBOX UIDs") {
			t.Errorf("twin %s not reported as ambiguous:\n%s", u, r.stdout)
		}
	}
	out := mustSucceed(t, "", "message", "list", "--data", data, "alice", "INBOX")
	for i, u := range legacy {
		if attached := strings.Contains(out, " "+u+" ") || strings.Contains(out, " "+u+"\n"); attached != (i == 0 || i == 3) {
			t.Errorf("UIDL %s attached = %v; message list:\n%s", u, attached, out)
		}
	}
}
