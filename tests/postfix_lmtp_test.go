package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Bounds of TestPostfixLMTP (safety nets, not measurements).
const (
	postfixCmdTimeout = 60 * time.Second // postfix start/stop, swaks
	postfixDelivery   = 60 * time.Second // from swaks's 250 to the INBOX
)

// postfixMainCF is a private Postfix instance: its own queue and data
// directories, loopback only, every address in example.org a virtual
// mailbox delivered over LMTP to Ferrymail (virtual_transport), and no
// local delivery, aliases or DNS. Placeholders: QUEUE, DATA, LMTP.
const postfixMainCF = `compatibility_level = 3.6
queue_directory = QUEUE
data_directory = DATA
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = DATA/maillog
maillog_file_prefixes = DATA
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = postfix.test
mydomain = postfix.test
myorigin = $myhostname
mydestination =
mynetworks = 127.0.0.0/8
local_recipient_maps =
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = example.org
virtual_transport = lmtp:inet:LMTP
disable_dns_lookups = yes
smtp_dns_support_level = disabled
lmtp_host_lookup = native
smtputf8_enable = no
biff = no
`

// postfixMasterCF: the services a private instance needs, none chrooted
// (the chroot would need copies of system files), smtpd on SMTP.
const postfixMasterCF = `SMTP inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

// startPostfix runs a private Postfix (as root, in temporary directories)
// that relays mail for example.org to lmtpAddr, and returns its SMTP
// address. It is stopped at the end of the test.
func startPostfix(t *testing.T, lmtpAddr string) string {
	t.Helper()
	postfix := needTool(t, "postfix")
	if os.Geteuid() != 0 {
		t.Skip("a private Postfix instance must be started as root (its master drops to the postfix user)")
	}
	// Not t.TempDir: Postfix's daemons run as the postfix user in these
	// directories, and they must survive until "postfix stop" is done.
	base, err := os.MkdirTemp("", "ferrymail-postfix-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, queue, data := filepath.Join(base, "etc"), filepath.Join(base, "queue"), filepath.Join(base, "data")
	for _, d := range []string{cfg, queue, data} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := chownPostfix(data); err != nil {
		t.Fatal(err)
	}
	smtpAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	main := strings.NewReplacer("QUEUE", queue, "DATA", data, "LMTP", lmtpAddr).Replace(postfixMainCF)
	master := strings.Replace(postfixMasterCF, "SMTP", smtpAddr, 1)
	if err := os.WriteFile(filepath.Join(cfg, "main.cf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "master.cf"), []byte(master), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := runTool(t, nil, postfix, "-c", cfg, "start")
	if code != 0 {
		maillog, _ := os.ReadFile(filepath.Join(data, "maillog"))
		// Postfix reports a fatal configuration error on stderr only when
		// it is a terminal (otherwise to syslog): ask again under script(1).
		why, _ := exec.Command("script", "-qc", postfix+" -c "+cfg+" check", "/dev/null").CombinedOutput()
		os.RemoveAll(base)
		t.Fatalf("postfix -c %s start exited %d:\n%s\n%s\nmaillog:\n%s", cfg, code, out, why, maillog)
	}
	t.Cleanup(func() {
		pidFile := filepath.Join(queue, "pid", "master.pid")
		pid := readPid(pidFile)
		if out, code := runTool(t, nil, postfix, "-c", cfg, "stop"); code != 0 {
			t.Errorf("postfix stop exited %d:\n%s", code, out)
		}
		// "postfix stop" signals the master; wait (bounded) until it is
		// gone before its directories are removed.
		for i := 0; pid > 0 && syscall.Kill(pid, 0) == nil && i < 300; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(data, "maillog")); err == nil {
				t.Logf("postfix maillog:\n%s", b)
			}
		}
		os.RemoveAll(base)
	})
	return smtpAddr
}

// chownPostfix gives dir to the postfix user (data_directory must be its).
func chownPostfix(dir string) error {
	out, err := exec.Command("chown", "postfix:postfix", dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("chown postfix %s: %v: %s", dir, err, out)
	}
	return nil
}

func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// TestPostfixLMTP: Postfix from Debian's packages, configured to deliver
// example.org over LMTP to "ferrymail serve --lmtp", takes two messages
// from swaks over SMTP — to alice@example.org and alice+news@example.org —
// and both land in alice's INBOX (seen over POP3), with Delivered-To as
// Postfix gave the recipient, and our Received: naming Postfix's LHLO.
func TestPostfixLMTP(t *testing.T) {
	t.Parallel()
	swaks := needTool(t, "swaks")
	dir := t.TempDir()
	imapSeed(t, dir, "INBOX") // alice
	srv := startServe(t, dir, "--lmtp", "127.0.0.1:0")
	smtpAddr := startPostfix(t, lmtpAddr(t, srv))

	for _, rcpt := range []string{"alice@example.org", "alice+news@example.org"} {
		host, port, _ := strings.Cut(smtpAddr, ":")
		out, code := runTool(t, nil, swaks, "--server", host, "--port", port, "--helo", "client.test",
			"--from", "sender@example.net", "--to", rcpt,
			"--header", "Subject: via postfix to "+rcpt, "--body", "delivered by Postfix over LMTP")
		if code != 0 {
			t.Fatalf("swaks to %s exited %d:\n%s", rcpt, code, out)
		}
	}

	// Postfix's queue manager delivers on its own time: poll the INBOX
	// over POP3, bounded.
	var msgs []string
	deadline := time.Now().Add(postfixDelivery)
	for {
		msgs = pop3Messages(t, pop3Addr(t, srv), imapUser, imapPass)
		if len(msgs) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(msgs) != 2 {
		t.Fatalf("INBOX has %d messages %q, want 2; server:\n%s", len(msgs), msgs, srv.stderr)
	}
	for _, rcpt := range []string{"alice@example.org", "alice+news@example.org"} {
		found := false
		for _, m := range msgs {
			if strings.Contains(m, "Subject: via postfix to "+rcpt+"\r\n") {
				found = true
				for _, want := range []string{
					"Delivered-To: " + rcpt + "\r\n",
					"Received: from postfix.test ([127.0.0.1])\r\n\tby ",
					"\r\n\tfor <" + rcpt + ">; ",
					"delivered by Postfix over LMTP",
				} {
					if !strings.Contains(m, want) {
						t.Errorf("message to %s lacks %q:\n%s", rcpt, want, m)
					}
				}
			}
		}
		if !found {
			t.Errorf("no message to %s in %q", rcpt, msgs)
		}
	}
	srv.sigterm(t)
}

// pop3Messages logs in over POP3 and returns every message (RETR), with
// CRLF line ends, dot-unstuffed.
func pop3Messages(t *testing.T, addr, user, pass string) []string {
	t.Helper()
	c := dialLines(t, addr)
	defer c.nc.Close()
	c.read()
	c.cmd("USER "+user, "+OK")
	if r := c.cmd("PASS "+pass, ""); !strings.HasPrefix(r, "+OK") {
		t.Fatalf("POP3 PASS: %q", r)
	}
	stat := c.cmd("STAT", "")
	var n int
	if _, err := fmt.Sscanf(stat, "+OK %d", &n); err != nil {
		t.Fatalf("STAT: %q", stat)
	}
	var msgs []string
	for i := 1; i <= n; i++ {
		if r := c.cmd(fmt.Sprintf("RETR %d", i), ""); !strings.HasPrefix(r, "+OK") {
			t.Fatalf("RETR %d: %q", i, r)
		}
		var b strings.Builder
		for range 100000 {
			l := c.read()
			if l == "." {
				break
			}
			b.WriteString(strings.TrimPrefix(l, ".") + "\r\n")
		}
		msgs = append(msgs, b.String())
	}
	c.cmd("QUIT", "+OK")
	return msgs
}
