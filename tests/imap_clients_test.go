package tests

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var imapBodies = []string{
	"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: first\r\nDate: Mon, 02 Jan 2006 15:04:05 -0700\r\n\r\nHello from the first message.\r\n",
	"From alice@example.org Mon Jan  2 15:04:05 2006\r\nSubject: =?iso-8859-1?q?caf=E9?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nUn caf=E9 cr=E8me\r\n",
	"Subject: third\r\nTo: undisclosed-recipients:;\r\n\r\nno trailing newline",
}

// imaplibScript holds a conversation per command family and prints what
// the server answered as JSON. argv: host port user password.
const imaplibScript = `
import imaplib, json, sys, time
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = {}
M = imaplib.IMAP4(host, port)
out["caps"] = sorted(M.capabilities)
try:
    M.login(user, "wrong")
    out["badlogin"] = "accepted"
except imaplib.IMAP4.error as e:
    out["badlogin"] = str(e)
typ, data = M.login(user, pw)
out["login"] = typ
typ, data = M.list()
out["list"] = [d.decode() for d in data]
typ, data = M.select("INBOX")
out["select"] = [typ, data[0].decode()]
out["uidvalidity"] = M.untagged_responses.get("UIDVALIDITY", [b""])[0].decode()
typ, data = M.fetch("1:*", "(UID RFC822.SIZE FLAGS BODY.PEEK[])")
out["fetch"] = []
for d in data:
    if isinstance(d, tuple):
        out["fetch"].append([d[0].decode(), d[1].decode("latin-1")])
typ, data = M.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)] ENVELOPE)")
out["fetch_header"] = data[0][1].decode("latin-1")
typ, data = M.fetch("3", "(ENVELOPE)")
out["envelope3"] = data[0].decode("latin-1")
typ, data = M.store("1", "+FLAGS", "(\\Flagged $Important)")
out["store"] = [d.decode() for d in data]
typ, data = M.search(None, "FLAGGED")
out["search_flagged"] = data[0].decode()
typ, data = M.search(None, "BODY", "crème".encode("utf-8")) if False else M.search("UTF-8", "BODY", "creme")
out["search_body_ascii"] = data[0].decode()
M.literal = "crème".encode("utf-8")
typ, data = M.search("UTF-8", "BODY")
out["search_body_utf8"] = data[0].decode()
typ, data = M.uid("SEARCH", "SUBJECT", "third")
out["uid_search"] = data[0].decode()
msg = b"Subject: appended\r\n\r\nappended body\r\n"
typ, data = M.append("INBOX", "(\\Seen)", None, msg)
out["append"] = [typ, data[0].decode()]
typ, data = M.copy("1:2", "Archive")
out["copy"] = [typ, data[0].decode()]
typ, data = M.store("2", "+FLAGS", "(\\Deleted)")
typ, data = M.expunge()
out["expunge"] = [d.decode() for d in data if d]
typ, data = M.status("Archive", "(MESSAGES UIDNEXT)")
out["status"] = data[0].decode()
# IDLE by hand (imaplib has no idle before 3.14): another connection's
# APPEND must reach this one as EXISTS.
tag = M._new_tag()
M.send(tag + b" IDLE\r\n")
out["idle_cont"] = M.readline().decode().strip()
N = imaplib.IMAP4(host, port)
N.login(user, pw)
N.append("INBOX", None, None, b"Subject: during idle\r\n\r\nx\r\n")
N.logout()
out["idle_event"] = M.readline().decode().strip()
M.send(b"DONE\r\n")
out["idle_done"] = M.readline().decode().strip()
M.close()
typ, data = M.logout()
out["logout"] = typ
print(json.dumps(out))
`

type imaplibResult struct {
	Caps          []string   `json:"caps"`
	BadLogin      string     `json:"badlogin"`
	Login         string     `json:"login"`
	List          []string   `json:"list"`
	Select        []string   `json:"select"`
	UIDValidity   string     `json:"uidvalidity"`
	Fetch         [][]string `json:"fetch"`
	FetchHeader   string     `json:"fetch_header"`
	Envelope3     string     `json:"envelope3"`
	Store         []string   `json:"store"`
	SearchFlagged string     `json:"search_flagged"`
	SearchASCII   string     `json:"search_body_ascii"`
	SearchUTF8    string     `json:"search_body_utf8"`
	UIDSearch     string     `json:"uid_search"`
	Append        []string   `json:"append"`
	Copy          []string   `json:"copy"`
	Expunge       []string   `json:"expunge"`
	Status        string     `json:"status"`
	IdleCont      string     `json:"idle_cont"`
	IdleEvent     string     `json:"idle_event"`
	IdleDone      string     `json:"idle_done"`
	Logout        string     `json:"logout"`
}

// TestIMAPImaplib drives the binary with Python's imaplib through every
// command family; sizes and bytes exactly as stored.
func TestIMAPImaplib(t *testing.T) {
	t.Parallel()
	python := needTool(t, "python3")
	dir := t.TempDir()
	msgs := imapSeed(t, dir, "INBOX", imapBodies...)
	srv := startServe(t, dir)
	host, port, _ := net.SplitHostPort(imapAddr(t, srv))
	script := filepath.Join(t.TempDir(), "imaplib_test.py")
	if err := os.WriteFile(script, []byte(imaplibScript), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runTool(t, nil, python, script, host, port, imapUser, imapPass)
	if code != 0 {
		t.Fatalf("imaplib script exited %d:\n%s", code, out)
	}
	var r imaplibResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("imaplib output: %v\n%s", err, out)
	}
	check := func(what string, ok bool, got any) {
		t.Helper()
		if !ok {
			t.Errorf("%s: got %v", what, got)
		}
	}
	for _, c := range []string{"IMAP4REV1", "IMAP4REV2", "AUTH=PLAIN", "SASL-IR", "LITERAL-"} {
		check("capability "+c, strings.Contains(strings.Join(r.Caps, " "), c), r.Caps)
	}
	check("bad login", strings.Contains(r.BadLogin, "AUTHENTICATIONFAILED"), r.BadLogin)
	check("login", r.Login == "OK", r.Login)
	check("list", strings.Contains(strings.Join(r.List, "\n"), `(\HasNoChildren \Sent) "/" "Sent"`), r.List)
	check("select", r.Select[0] == "OK" && r.Select[1] == "3", r.Select)
	check("uidvalidity", r.UIDValidity != "", r.UIDValidity)
	check("fetch count", len(r.Fetch) == 3, len(r.Fetch))
	for i, f := range r.Fetch {
		if i >= len(msgs) {
			break
		}
		wantHead := fmt.Sprintf("%d (UID %d FLAGS () RFC822.SIZE %d BODY[] {%d}", i+1, msgs[i].UID, msgs[i].Size, msgs[i].Size)
		check(fmt.Sprintf("fetch %d head", i+1), f[0] == wantHead, f[0])
		check(fmt.Sprintf("fetch %d body", i+1), f[1] == imapBodies[i], f[1])
	}
	check("HEADER.FIELDS", r.FetchHeader == "Subject: =?iso-8859-1?q?caf=E9?=\r\n\r\n", r.FetchHeader)
	check("envelope group", strings.Contains(r.Envelope3, `((NIL NIL "undisclosed-recipients" NIL) (NIL NIL NIL NIL))`), r.Envelope3)
	check("store", len(r.Store) == 1 && strings.Contains(r.Store[0], `FLAGS (\Flagged $Important)`), r.Store)
	check("search flagged", r.SearchFlagged == "1", r.SearchFlagged)
	check("search body ascii", r.SearchASCII == "", r.SearchASCII)
	check("search body utf-8 against iso-8859-1 QP", r.SearchUTF8 == "2", r.SearchUTF8)
	check("uid search", r.UIDSearch == "3", r.UIDSearch)
	check("append", r.Append[0] == "OK" && strings.HasPrefix(r.Append[1], "[APPENDUID "), r.Append)
	check("copy", r.Copy[0] == "OK" && strings.Contains(r.Copy[1], "[COPYUID ") && strings.Contains(r.Copy[1], " 1:2 1:2]"), r.Copy)
	check("expunge", len(r.Expunge) == 1 && r.Expunge[0] == "2", r.Expunge)
	check("status", r.Status == `"Archive" (MESSAGES 2 UIDNEXT 3)`, r.Status)
	check("idle continuation", strings.HasPrefix(r.IdleCont, "+"), r.IdleCont)
	check("idle EXISTS", r.IdleEvent == "* 4 EXISTS", r.IdleEvent)
	check("idle done", strings.Contains(r.IdleDone, "OK"), r.IdleDone)
	check("logout", r.Logout == "BYE", r.Logout)
}

// TestIMAPCurl: curl's imap:// client lists a mailbox and fetches a
// message by UID, byte for byte.
func TestIMAPCurl(t *testing.T) {
	t.Parallel()
	curl := needTool(t, "curl")
	dir := t.TempDir()
	msgs := imapSeed(t, dir, "INBOX", imapBodies...)
	srv := startServe(t, dir)
	base := "imap://" + imapAddr(t, srv)
	auth := imapUser + ":" + imapPass

	out, code := runTool(t, nil, curl, "-sS", "--max-time", "20", base+"/", "-u", auth)
	if code != 0 || !strings.Contains(out, `"/" INBOX`) || !strings.Contains(out, `"/" "Sent"`) {
		t.Errorf("curl LIST exited %d:\n%s", code, out)
	}
	out, code = runTool(t, nil, curl, "-sS", "--max-time", "20", fmt.Sprintf("%s/INBOX;UID=%d", base, msgs[0].UID), "-u", auth)
	if code != 0 || out != imapBodies[0] {
		t.Errorf("curl fetch UID %d exited %d:\n%q\nwant %q", msgs[0].UID, code, out, imapBodies[0])
	}
	out, code = runTool(t, nil, curl, "-sS", "--max-time", "20", base+"/INBOX?SUBJECT%20third", "-u", auth)
	if code != 0 || !strings.Contains(out, "SEARCH 3") {
		t.Errorf("curl SEARCH exited %d:\n%s", code, out)
	}
	out, code = runTool(t, nil, curl, "-sS", "--max-time", "20", base+"/INBOX", "-u", imapUser+":wrong")
	if code == 0 {
		t.Errorf("curl with a wrong password succeeded:\n%s", out)
	}
}
