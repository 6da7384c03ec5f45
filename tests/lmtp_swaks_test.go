package tests

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// lmtpAddr returns the address the server's LMTP listener is bound to, as
// logged at startup.
func lmtpAddr(t *testing.T, p *serveProc) string { return serviceAddr(t, p, "lmtp") }

// lmtpSwaksScript: an IMAP session IDLEs in INBOX while swaks delivers over
// LMTP; the EXISTS it sees, swaks's result and a POP3 session's view
// (poplib) are printed as JSON.
// argv: imap-host imap-port pop3-host pop3-port lmtp-addr user password.
const lmtpSwaksScript = `
import imaplib, json, poplib, subprocess, sys
ih, ip, ph, pp, lmtp, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
out = {}
M = imaplib.IMAP4(ih, ip)
M.login(user, pw)
typ, data = M.select("INBOX")
out["select"] = data[0].decode()
tag = M._new_tag()
M.send(tag + b" IDLE\r\n")
out["idle_cont"] = M.readline().decode().strip()
r = subprocess.run(["swaks", "--protocol", "LMTP", "--server", lmtp,
    "--from", "sender@example.net", "--to", "alice@example.org,nobody@example.org",
    "--header", "Subject: via swaks", "--body", "Delivered by swaks over LMTP.",
    "--timeout", "20"], capture_output=True, text=True, timeout=30)
out["swaks_code"] = r.returncode
out["swaks"] = r.stdout + r.stderr
out["idle_event"] = M.readline().decode().strip()
M.send(b"DONE\r\n")
out["idle_done"] = M.readline().decode().strip()
M.logout()
P = poplib.POP3(ph, pp)
P.user(user)
P.pass_(pw)
out["uidl"] = [l.decode() for l in P.uidl()[1]]
out["retr"] = [l.decode("latin-1") for l in P.retr(1)[1]]
P.quit()
print(json.dumps(out))
`

type lmtpSwaksResult struct {
	Select    string   `json:"select"`
	IdleCont  string   `json:"idle_cont"`
	SwaksCode int      `json:"swaks_code"`
	Swaks     string   `json:"swaks"`
	IdleEvent string   `json:"idle_event"`
	IdleDone  string   `json:"idle_done"`
	UIDL      []string `json:"uidl"`
	Retr      []string `json:"retr"`
}

// TestLMTPSwaks (issue 7): swaks delivers over LMTP to
// "ferrymail serve --lmtp"; an IMAP IDLE session sees the EXISTS at once;
// POP3 lists the message with the UIDL the store gave it from the
// template; the unknown second recipient got 550 5.1.1.
func TestLMTPSwaks(t *testing.T) {
	t.Parallel()
	python := needTool(t, "python3")
	needTool(t, "swaks")
	dir := t.TempDir()
	imapSeed(t, dir, "INBOX") // the account, with an empty INBOX
	srv := startServe(t, dir, "--lmtp", "127.0.0.1:0")
	ih, ip, _ := net.SplitHostPort(imapAddr(t, srv))
	ph, pp, _ := net.SplitHostPort(pop3Addr(t, srv))
	script := filepath.Join(t.TempDir(), "lmtp_swaks_test.py")
	if err := os.WriteFile(script, []byte(lmtpSwaksScript), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runTool(t, nil, python, script, ih, ip, ph, pp, lmtpAddr(t, srv), imapUser, imapPass)
	if code != 0 {
		t.Fatalf("script exited %d:\n%s\nserver:\n%s", code, out, srv.stderr)
	}
	var r lmtpSwaksResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("script output: %v\n%s", err, out)
	}
	check := func(what string, ok bool, got any) {
		t.Helper()
		if !ok {
			t.Errorf("%s: got %v", what, got)
		}
	}
	check("select", r.Select == "0", r.Select)
	check("idle continuation", strings.HasPrefix(r.IdleCont, "+"), r.IdleCont)
	// swaks exits non-zero when a recipient is refused (nobody@), but
	// the transaction goes on for the other.
	check("swaks LHLO", strings.Contains(r.Swaks, "-> LHLO "), r.Swaks)
	check("swaks 550 for the unknown user", strings.Contains(r.Swaks, "<** 550 5.1.1 "), r.Swaks)
	check("swaks 250 for alice", regexp.MustCompile(`<-\s+250 2\.0\.0 <alice@example\.org>`).MatchString(r.Swaks), r.Swaks)
	check("idle EXISTS", r.IdleEvent == "* 1 EXISTS", r.IdleEvent)
	check("idle done", strings.Contains(r.IdleDone, "OK"), r.IdleDone)
	check("retr Return-Path", len(r.Retr) > 1 && r.Retr[0] == "Return-Path: <sender@example.net>", r.Retr)
	check("retr Delivered-To", len(r.Retr) > 1 && r.Retr[1] == "Delivered-To: alice@example.org", r.Retr)
	check("retr subject", slices.Contains(r.Retr, "Subject: via swaks"), r.Retr)
	check("retr body", slices.Contains(r.Retr, "Delivered by swaks over LMTP."), r.Retr)

	srv.sigterm(t)
	msgs := pop3Inbox(t, dir)
	if len(msgs) != 1 {
		t.Fatalf("INBOX has %d messages, want 1", len(msgs))
	}
	want := []string{fmt.Sprintf("1 %s", msgs[0].UIDL)}
	if !slices.Equal(r.UIDL, want) {
		t.Errorf("POP3 UIDL: got %v, want %v", r.UIDL, want)
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(msgs[0].UIDL) {
		t.Errorf("UIDL %q is not from the default template %%08Xu%%08Xv", msgs[0].UIDL)
	}
}

// TestLMTPSwaksUnixSocket: "--lmtp unix:PATH" serves a 0660 socket, swaks
// delivers over it, and the socket is gone after SIGTERM.
func TestLMTPSwaksUnixSocket(t *testing.T) {
	t.Parallel()
	swaks := needTool(t, "swaks")
	dir := t.TempDir()
	imapSeed(t, dir, "INBOX")
	sock := filepath.Join(t.TempDir(), "lmtp.sock")
	srv := startServe(t, dir, "--lmtp", "unix:"+sock)
	if got := lmtpAddr(t, srv); got != sock {
		t.Errorf("logged LMTP address %q, want %q", got, sock)
	}
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode %v, want a 0660 socket", fi.Mode())
	}
	out, code := runTool(t, nil, swaks, "--protocol", "LMTP", "--socket", sock,
		"--from", "", "--to", "Alice@Example.org", "--header", "Subject: over a socket", "--timeout", "20")
	if code != 0 || !strings.Contains(out, "250 2.0.0 <Alice@Example.org>") {
		t.Fatalf("swaks exited %d:\n%s\nserver:\n%s", code, out, srv.stderr)
	}
	srv.sigterm(t)
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("LMTP socket left behind after SIGTERM: %v", err)
	}
	msgs := pop3Inbox(t, dir)
	if len(msgs) != 1 {
		t.Fatalf("INBOX has %d messages, want 1", len(msgs))
	}
}
