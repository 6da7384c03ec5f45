package tests

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// poplibScript drives the server with Python's poplib and prints what it
// saw as JSON. poplib sends one command at a time (it has no pipelining).
const poplibScript = `
import json, poplib, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = {}
def dec(b): return b.decode("latin-1")
p = poplib.POP3(host, port, timeout=10)
out["welcome"] = dec(p.getwelcome())
out["capa"] = sorted(p.capa().keys())
try:
    p.apop(user, pw)
    out["apop"] = "accepted"
except poplib.error_proto as e:
    out["apop"] = str(e)
p.user(user)
try:
    p.pass_("wrong")
    out["badpass"] = "accepted"
except poplib.error_proto as e:
    out["badpass"] = dec(e.args[0])
p.user(user)
out["pass"] = dec(p.pass_(pw))
out["stat"] = list(p.stat())
resp, lines, octets = p.list()
out["list"] = [dec(l) for l in lines]
out["list1"] = dec(p.list(1))
resp, lines, octets = p.uidl()
out["uidl"] = [dec(l) for l in lines]
out["uidl2"] = dec(p.uidl(2))
retr = []
for i in range(1, len(lines) + 1):
    resp, body, octets = p.retr(i)
    retr.append({"resp": dec(resp), "lines": [dec(l) for l in body], "octets": octets})
out["retr"] = retr
resp, body, octets = p.top(1, 1)
out["top"] = [dec(l) for l in body]
out["noop"] = dec(p.noop())
out["dele"] = dec(p.dele(1))
try:
    p.retr(1)
    out["retr_deleted"] = "accepted"
except poplib.error_proto as e:
    out["retr_deleted"] = dec(e.args[0])
out["rset"] = dec(p.rset())
out["dele2"] = dec(p.dele(2))
# A second session while this one holds the maildrop (RFC 1939 §8).
q = poplib.POP3(host, port, timeout=10)
q.user(user)
try:
    q.pass_(pw)
    out["inuse"] = "accepted"
except poplib.error_proto as e:
    out["inuse"] = dec(e.args[0])
q.quit()
out["quit"] = dec(p.quit())
p = poplib.POP3(host, port, timeout=10)
p.user(user)
p.pass_(pw)
out["stat_after"] = list(p.stat())
resp, lines, octets = p.uidl()
out["uidl_after"] = [dec(l) for l in lines]
p.quit()
print(json.dumps(out))
`

type poplibResult struct {
	Welcome string   `json:"welcome"`
	Capa    []string `json:"capa"`
	Apop    string   `json:"apop"`
	BadPass string   `json:"badpass"`
	Pass    string   `json:"pass"`
	Stat    []int64  `json:"stat"`
	List    []string `json:"list"`
	List1   string   `json:"list1"`
	UIDL    []string `json:"uidl"`
	UIDL2   string   `json:"uidl2"`
	Retr    []struct {
		Resp   string   `json:"resp"`
		Lines  []string `json:"lines"`
		Octets int64    `json:"octets"`
	} `json:"retr"`
	Top         []string `json:"top"`
	Noop        string   `json:"noop"`
	Dele        string   `json:"dele"`
	RetrDeleted string   `json:"retr_deleted"`
	Rset        string   `json:"rset"`
	Dele2       string   `json:"dele2"`
	InUse       string   `json:"inuse"`
	Quit        string   `json:"quit"`
	StatAfter   []int64  `json:"stat_after"`
	UIDLAfter   []string `json:"uidl_after"`
}

// TestPOP3Poplib: every command through Python's poplib, against the
// binary; sizes and UIDLs exactly as stored; DELE takes effect at QUIT.
func TestPOP3Poplib(t *testing.T) {
	t.Parallel()
	python := needTool(t, "python3")
	dir := t.TempDir()
	msgs := pop3Seed(t, dir, pop3Bodies...)
	srv := startServe(t, dir)
	host, port, _ := net.SplitHostPort(pop3Addr(t, srv))
	script := filepath.Join(t.TempDir(), "poplib_test.py")
	if err := os.WriteFile(script, []byte(poplibScript), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runTool(t, nil, python, script, host, port, pop3User, pop3Pass)
	if code != 0 {
		t.Fatalf("poplib script exited %d:\n%s", code, out)
	}
	var r poplibResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("poplib output: %v\n%s", err, out)
	}

	var total int64
	var wantList, wantUIDL []string
	for i, m := range msgs {
		total += m.Size
		wantList = append(wantList, fmt.Sprintf("%d %d", i+1, m.Size))
		wantUIDL = append(wantUIDL, fmt.Sprintf("%d %s", i+1, m.UIDL))
	}
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n got %v\nwant %v", what, got, want)
		}
	}
	if !strings.HasPrefix(r.Welcome, "+OK ") {
		t.Errorf("welcome %q", r.Welcome)
	}
	for _, c := range []string{"TOP", "UIDL", "USER", "SASL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "IMPLEMENTATION"} {
		if !slices.Contains(r.Capa, c) {
			t.Errorf("CAPA lacks %s: %v", c, r.Capa)
		}
	}
	if slices.Contains(r.Capa, "STLS") {
		t.Errorf("STLS advertised without TLS: %v", r.Capa)
	}
	check("APOP", r.Apop, "-ERR APOP not supported by server") // poplib: no timestamp in the greeting
	if !strings.HasPrefix(r.BadPass, "-ERR [AUTH] ") {
		t.Errorf("wrong password: %q", r.BadPass)
	}
	check("PASS", r.Pass, fmt.Sprintf("+OK maildrop has 3 messages (%d octets)", total))
	check("STAT", r.Stat, []int64{3, total})
	check("LIST", r.List, wantList)
	check("LIST 1", r.List1, "+OK "+wantList[0])
	check("UIDL", r.UIDL, wantUIDL)
	check("UIDL 2", r.UIDL2, "+OK "+wantUIDL[1])
	for i, m := range msgs {
		if i >= len(r.Retr) {
			t.Fatalf("RETR: %d messages", len(r.Retr))
		}
		got := r.Retr[i]
		check(fmt.Sprintf("RETR %d status", i+1), got.Resp, fmt.Sprintf("+OK %d octets", m.Size))
		// poplib undoes dot-stuffing and strips CRLF; the body must be the
		// stored message, line by line.
		want := strings.Split(strings.TrimSuffix(strings.ReplaceAll(pop3Bodies[i], "\r\n", "\n"), "\n"), "\n")
		check(fmt.Sprintf("RETR %d body", i+1), got.Lines, want)
	}
	check("TOP 1 1", r.Top, []string{"From: a@example.org", "Subject: first", "Message-ID: <1@example.org>", "", "Hello."})
	check("NOOP", r.Noop, "+OK")
	check("DELE", r.Dele, "+OK message 1 deleted")
	check("RETR of a deleted message", r.RetrDeleted, "-ERR message 1 already deleted")
	check("RSET", r.Rset, fmt.Sprintf("+OK maildrop has 3 messages (%d octets)", total))
	check("DELE 2", r.Dele2, "+OK message 2 deleted")
	if !strings.HasPrefix(r.InUse, "-ERR [IN-USE] ") {
		t.Errorf("second session: %q", r.InUse)
	}
	check("QUIT", r.Quit, "+OK Ferrymail POP3 server signing off (2 messages left)")
	check("STAT at the next login", r.StatAfter, []int64{2, msgs[0].Size + msgs[2].Size})
	check("UIDL at the next login", r.UIDLAfter, []string{"1 " + msgs[0].UIDL, "2 " + msgs[2].UIDL})

	srv.sigterm(t)
	left := pop3Inbox(t, dir)
	if len(left) != 2 || left[0].UID != msgs[0].UID || left[1].UID != msgs[2].UID {
		t.Errorf("INBOX after QUIT: %v", left)
	}
}

// TestPOP3Curl: curl's pop3:// lists, retrieves, and sends UIDL and TOP.
func TestPOP3Curl(t *testing.T) {
	t.Parallel()
	curl := needTool(t, "curl")
	dir := t.TempDir()
	msgs := pop3Seed(t, dir, pop3Bodies...)
	srv := startServe(t, dir)
	url := "pop3://" + pop3Addr(t, srv) + "/"
	user := pop3User + ":" + pop3Pass
	run := func(args ...string) string {
		t.Helper()
		out, code := runTool(t, nil, curl, append([]string{"-sS", "--max-time", "20", "-u", user}, args...)...)
		if code != 0 {
			t.Fatalf("curl %q exited %d:\n%s", args, code, out)
		}
		return out
	}
	var list, uidl string
	for i, m := range msgs {
		list += fmt.Sprintf("%d %d\r\n", i+1, m.Size)
		uidl += fmt.Sprintf("%d %s\r\n", i+1, m.UIDL)
	}
	if got := run(url); got != list {
		t.Errorf("curl list:\n got %q\nwant %q", got, list)
	}
	for i, b := range pop3Bodies {
		want := strings.ReplaceAll(strings.ReplaceAll(b, "\r\n", "\n"), "\n", "\r\n")
		if got := run(fmt.Sprintf("%s%d", url, i+1)); got != want {
			t.Errorf("curl RETR %d:\n got %q\nwant %q", i+1, got, want)
		}
	}
	if got := run(url, "-X", "UIDL"); got != uidl {
		t.Errorf("curl UIDL:\n got %q\nwant %q", got, uidl)
	}
	if got, want := run(url, "-X", "TOP 3 0"), "From: c@example.org\r\nSubject: third\r\nMessage-ID: <3@example.org>\r\n\r\n"; got != want {
		t.Errorf("curl TOP 3 0:\n got %q\nwant %q", got, want)
	}
	// A wrong password: curl reports a login failure (exit 67).
	if out, code := runTool(t, nil, curl, "-sS", "--max-time", "20", "-u", pop3User+":wrong", url); code != 67 {
		t.Errorf("curl with a wrong password: exit %d, want 67:\n%s", code, out)
	}
	srv.sigterm(t)
}

// TestPOP3ListenError: a POP3 address that cannot be listened on stops
// serve with one clear line, and leaves no admin socket behind.
func TestPOP3ListenError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	line := mustFail(t, 1, "", "serve", "--data", dir, "--pop3", "256.0.0.1:1110", "--imap", "127.0.0.1:0")
	if !strings.Contains(line, "listening for POP3 on 256.0.0.1:1110") {
		t.Errorf("serve with a bad --pop3: %q", line)
	}
	if _, err := os.Lstat(filepath.Join(dir, "admin.sock")); !os.IsNotExist(err) {
		t.Errorf("admin socket left behind: %v", err)
	}
}
