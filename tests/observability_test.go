package tests

// Issue 7, observability: the built binary with --metrics, driven by real
// clients (Python's imaplib, poplib and smtplib.LMTP; curl for the HTTP
// side), in both log formats. It checks that the counters move, that
// /healthz answers, that every command line carries user, remote, command,
// duration and outcome, and that no password and no message body reaches
// the log.

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Secrets the clients send; none of them may appear in the log.
const (
	obsWrongPass  = "wrong-Pa55word-obs"
	obsAppendBody = "APPEND-BODY-MARKER-7c1e"
	obsLMTPBody   = "LMTP-BODY-MARKER-9d2f"
	obsAdminPass  = "admin-Secret-pw-3e5a"
)

// obsClientsScript: argv = imap_host imap_port pop3_port lmtp_port user
// password wrong_password. It logs in wrongly then rightly on each
// protocol, APPENDs, FETCHes and RETRs, and delivers one message by LMTP.
const obsClientsScript = `
import base64, imaplib, poplib, smtplib, sys
host, iport, pport, lport, user, pw, wrong = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]

m = imaplib.IMAP4(host, iport)
try:
    m.login(user, wrong)
    sys.exit("imap: wrong password accepted")
except imaplib.IMAP4.error:
    pass
m.login(user, pw)
typ, _ = m.append("INBOX", None, None, b"Subject: obs\r\n\r\n` + obsAppendBody + `\r\n")
assert typ == "OK", typ
typ, data = m.select("INBOX")
assert typ == "OK", typ
typ, _ = m.fetch("1:*", "(UID FLAGS)")
assert typ == "OK", typ
m.logout()

# AUTHENTICATE PLAIN (RFC 4616): the secret travels base64-encoded.
m = imaplib.IMAP4(host, iport)
m.authenticate("PLAIN", lambda _: ("\0" + user + "\0" + pw).encode())
m.logout()

# POP3 AUTH PLAIN with an initial response (RFC 5034 §4).
p = poplib.POP3(host, pport)
resp = p._shortcmd("AUTH PLAIN " + base64.b64encode(("\0" + user + "\0" + pw).encode()).decode())
assert resp.startswith(b"+OK"), resp
p.quit()

p = poplib.POP3(host, pport)
p.user(user)
try:
    p.pass_(wrong)
    sys.exit("pop3: wrong password accepted")
except poplib.error_proto:
    pass
p = poplib.POP3(host, pport)
p.user(user)
p.pass_(pw)
p.stat()
p.uidl()
p.retr(1)
p.quit()

l = smtplib.LMTP(host, lport)
refused = l.sendmail("sender@example.org", [user + "@example.org"], "Subject: lmtp\r\n\r\n` + obsLMTPBody + `\r\n")
assert not refused, refused
l.quit()
print("clients ok")
`

// TestObservability runs the same clients against a server logging text
// and one logging JSON.
func TestObservability(t *testing.T) {
	python := needTool(t, "python3")
	curl := needTool(t, "curl")
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			imapSeed(t, dir, "INBOX")
			args := []string{"--log-format", format, "--metrics", "127.0.0.1:0", "--lmtp", "127.0.0.1:0"}
			if format == "text" {
				args = append(args, "--pprof")
			}
			srv := startServe(t, dir, args...)
			addrs := obsAddrs(t, srv, format)

			script := filepath.Join(t.TempDir(), "obs_clients.py")
			if err := os.WriteFile(script, []byte(obsClientsScript), 0o600); err != nil {
				t.Fatal(err)
			}
			host, iport, _ := net.SplitHostPort(addrs["imap"])
			_, pport, _ := net.SplitHostPort(addrs["pop3"])
			_, lport, _ := net.SplitHostPort(addrs["lmtp"])
			out, code := runTool(t, nil, python, script, host, iport, pport, lport, imapUser, imapPass, obsWrongPass)
			if code != 0 {
				t.Fatalf("client script exited %d:\n%s\nserver output:\n%s", code, out, srv.stderr)
			}

			// Admin socket ops: the CLI reaches the running server.
			mustSucceed(t, obsAdminPass+"\n", "user", "add", "--data", dir, "bob")
			if out := mustSucceed(t, "", "user", "list", "--data", dir); !strings.Contains(out, "bob") {
				t.Errorf("user list through the server: %q", out)
			}

			metrics := obsCurl(t, curl, "http://"+addrs["metrics"]+"/metrics", 200)
			obsCheckMetrics(t, metrics)
			if body := obsCurl(t, curl, "http://"+addrs["metrics"]+"/healthz", 200); body != "ok\n" {
				t.Errorf("/healthz: got %q, want ok", body)
			}
			if format == "text" {
				if body := obsCurl(t, curl, "http://"+addrs["metrics"]+"/debug/pprof/heap?debug=1", 200); !strings.Contains(body, "heap profile") {
					t.Errorf("/debug/pprof/heap with --pprof: got %.80q", body)
				}
			} else {
				obsCurl(t, curl, "http://"+addrs["metrics"]+"/debug/pprof/", 404)
			}

			srv.sigterm(t)
			log := srv.stderr.String()
			plain := base64.StdEncoding.EncodeToString([]byte("\x00" + imapUser + "\x00" + imapPass))
			for _, secret := range []string{imapPass, obsWrongPass, obsAppendBody, obsLMTPBody, obsAdminPass, plain} {
				if strings.Contains(log, secret) {
					t.Errorf("the log contains %q:\n%s", secret, log)
				}
			}
			if format == "json" {
				obsCheckJSONLog(t, log)
			} else {
				obsCheckTextLog(t, log)
			}
		})
	}
}

// obsAddrs finds the bound address of each listener in the startup log.
func obsAddrs(t *testing.T, p *serveProc, format string) map[string]string {
	t.Helper()
	addrs := map[string]string{}
	for _, svc := range []string{"imap", "pop3", "lmtp", "metrics"} {
		re := regexp.MustCompile(`msg=listening service=` + svc + ` addr=(\S+)`)
		if format == "json" {
			re = regexp.MustCompile(`"msg":"listening","service":"` + svc + `","addr":"([^"]+)"`)
		}
		addrs[svc] = waitLog(t, p, re, "its "+svc+" address")[1]
	}
	return addrs
}

// obsCurl fetches url with curl and requires the HTTP status want.
func obsCurl(t *testing.T, curl, url string, want int) string {
	t.Helper()
	out, code := runTool(t, nil, curl, "-sS", "--max-time", "20", "-w", "\n%{http_code}", url)
	if code != 0 {
		t.Fatalf("curl %s exited %d:\n%s", url, code, out)
	}
	i := strings.LastIndexByte(out, '\n')
	status, _ := strconv.Atoi(out[i+1:])
	if status != want {
		t.Fatalf("curl %s: status %d, want %d; body:\n%s", url, status, want, out[:i])
	}
	return out[:i]
}

// obsCheckMetrics checks that the clients' work shows in the exposition.
func obsCheckMetrics(t *testing.T, exposition string) {
	t.Helper()
	value := func(series string) float64 {
		for _, line := range strings.Split(exposition, "\n") {
			if rest, ok := strings.CutPrefix(line, series+" "); ok {
				v, err := strconv.ParseFloat(rest, 64)
				if err != nil {
					t.Errorf("%s: value %q", series, rest)
				}
				return v
			}
		}
		t.Errorf("/metrics lacks %s", series)
		return -1
	}
	for _, tc := range []struct {
		series string
		min    float64
	}{
		{`ferrymail_connections_total{proto="imap"}`, 1},
		{`ferrymail_connections_total{proto="pop3"}`, 3},
		{`ferrymail_connections_total{proto="lmtp"}`, 1},
		{`ferrymail_logins_total{outcome="ok",proto="imap"}`, 2},
		{`ferrymail_logins_total{outcome="failed",proto="imap"}`, 1},
		{`ferrymail_logins_total{outcome="ok",proto="pop3"}`, 2},
		{`ferrymail_logins_total{outcome="failed",proto="pop3"}`, 1},
		{`ferrymail_commands_total{command="APPEND",outcome="ok",proto="imap"}`, 1},
		{`ferrymail_commands_total{command="FETCH",outcome="ok",proto="imap"}`, 1},
		{`ferrymail_commands_total{command="RETR",outcome="ok",proto="pop3"}`, 1},
		{`ferrymail_commands_total{command="DATA",outcome="250",proto="lmtp"}`, 1},
		{`ferrymail_command_duration_seconds_count{command="LOGIN",proto="imap"}`, 3},
		{`ferrymail_commands_total{command="AUTH",outcome="ok",proto="pop3"}`, 1},
		{`ferrymail_commands_total{command="user.add",outcome="ok",proto="admin"}`, 1},
		{`ferrymail_lmtp_deliveries_total{outcome="ok"}`, 1},
		{`ferrymail_lmtp_delivered_bytes_total`, float64(len(obsLMTPBody))},
		{`ferrymail_store_size_bytes{part="vlog"}`, 1},
		{`ferrymail_commands_total{command="user.list",outcome="ok",proto="admin"}`, 1},
		{`process_resident_memory_bytes`, 1},
	} {
		if v := value(tc.series); v < tc.min {
			t.Errorf("%s = %v, want at least %v", tc.series, v, tc.min)
		}
	}
}

// obsCheckJSONLog requires every line to be a JSON object, and the command
// lines to carry remote, cmd, a numeric duration, outcome and, after
// login, user.
func obsCheckJSONLog(t *testing.T, log string) {
	t.Helper()
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %v\n%s", err, line)
			continue
		}
		msg, _ := rec["msg"].(string)
		if !strings.HasSuffix(msg, " command") {
			continue
		}
		cmd, _ := rec["cmd"].(string)
		seen[msg+" "+cmd] = true
		if _, ok := rec["duration"].(float64); !ok {
			t.Errorf("%s: duration %v is not a number of seconds: %s", msg, rec["duration"], line)
		}
		for _, key := range []string{"remote", "cmd", "outcome"} {
			if s, _ := rec[key].(string); s == "" {
				t.Errorf("%s: no %q: %s", msg, key, line)
			}
		}
		if cmd == "APPEND" || cmd == "FETCH" || cmd == "RETR" || cmd == "STAT" {
			if rec["user"] != imapUser {
				t.Errorf("%s %s: user %v, want %s: %s", msg, cmd, rec["user"], imapUser, line)
			}
		}
	}
	for _, want := range []string{"imap command LOGIN", "imap command APPEND", "pop3 command PASS", "pop3 command RETR", "lmtp command RCPT", "lmtp command DATA"} {
		if !seen[want] {
			t.Errorf("no JSON log line for %s", want)
		}
	}
}

// obsCheckTextLog requires the command lines in key=value form.
func obsCheckTextLog(t *testing.T, log string) {
	t.Helper()
	for _, re := range []string{
		`msg="imap command" .*remote=127\.0\.0\.1:\d+ .*user=alice cmd=APPEND duration=\S+ outcome=ok`,
		`msg="pop3 command" .*remote=127\.0\.0\.1:\d+ .*user=alice cmd=RETR .*duration=\S+ outcome=ok`,
		`msg="lmtp command" .*remote=127\.0\.0\.1:\d+ cmd=DATA duration=\S+ outcome=250`,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("no text log line matches %s", re)
		}
	}
}
