package tests

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// pop3IMAPScript: an IMAP APPEND is listed by the next POP3 login, and a
// POP3 DELE+QUIT reaches a selected IMAP session as EXPUNGE.
const pop3IMAPScript = `
import imaplib, json, poplib, sys
host, iport, pport, user, pw = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
out = {}
m = imaplib.IMAP4(host, iport, timeout=10)
m.login(user, pw)
m.append("INBOX", None, None, b"Subject: appended over IMAP\r\n\r\nhello\r\n")
m.select("INBOX")
p = poplib.POP3(host, pport, timeout=10)
p.user(user)
p.pass_(pw)
out["stat"] = list(p.stat())
resp, body, octets = p.top(4, 0)
out["top4"] = [l.decode() for l in body]
p.dele(1)
p.dele(4)
out["quit"] = p.quit().decode()
m.noop()
out["expunge"] = [x.decode() for x in m.response("EXPUNGE")[1] if x]
typ, data = m.search(None, "ALL")
out["imap_left"] = data[0].decode()
m.logout()
print(json.dumps(out))
`

func TestPOP3SeenByIMAP(t *testing.T) {
	t.Parallel()
	python := needTool(t, "python3")
	dir := t.TempDir()
	pop3Seed(t, dir, pop3Bodies...)
	srv := startServe(t, dir)
	_, pport, _ := net.SplitHostPort(pop3Addr(t, srv))
	host, iport, _ := net.SplitHostPort(imapAddr(t, srv))
	script := filepath.Join(t.TempDir(), "pop3_imap.py")
	if err := os.WriteFile(script, []byte(pop3IMAPScript), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runTool(t, nil, python, script, host, iport, pport, pop3User, pop3Pass)
	if code != 0 {
		t.Fatalf("script exited %d:\n%s\nserver output:\n%s", code, out, srv.stderr)
	}
	var r struct {
		Stat     []int    `json:"stat"`
		Top4     []string `json:"top4"`
		Quit     string   `json:"quit"`
		Expunge  []string `json:"expunge"`
		IMAPLeft string   `json:"imap_left"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("script output: %v\n%s", err, out)
	}
	if len(r.Stat) != 2 || r.Stat[0] != 4 {
		t.Errorf("POP3 STAT after an IMAP APPEND: %v, want 4 messages", r.Stat)
	}
	if len(r.Top4) == 0 || r.Top4[0] != "Subject: appended over IMAP" {
		t.Errorf("POP3 message 4 is not the appended one: %q", r.Top4)
	}
	// Sequence numbers 1 and 4, announced highest first or lowest first:
	// after "1" is expunged, the old 4 is 3.
	if got := r.Expunge; len(got) != 2 || !((got[0] == "4" && got[1] == "1") || (got[0] == "1" && got[1] == "3")) {
		t.Errorf("IMAP EXPUNGE responses %q after POP3 DELE 1, DELE 4, QUIT", got)
	}
	if r.IMAPLeft != "1 2" {
		t.Errorf("IMAP SEARCH ALL after the POP3 QUIT: %q, want \"1 2\"", r.IMAPLeft)
	}
	srv.sigterm(t)
}
