package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dovecotProc is a Dovecot started by a test: unprivileged where the test
// is, on loopback ports of its own, with its own configuration, state and
// mail in a temporary directory. It is the legacy server that mail is
// migrated from.
type dovecotProc struct {
	dir, conf, home    string
	imapPort, pop3Port int
}

// needDovecot skips the test unless Debian's dovecot-imapd and
// dovecot-pop3d and python3 are installed (.ci/run installs them).
func needDovecot(t testing.TB) {
	t.Helper()
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/lib/dovecot/imap", "/usr/lib/dovecot/pop3"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("Dovecot is not installed (%s): apt-get install dovecot-imapd dovecot-pop3d", p)
		}
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startDovecot starts Dovecot with mailLocation (e.g. "maildir:~/Maildir")
// and extra configuration lines; user alice, password pw.
func startDovecot(t testing.TB, mailLocation, extra string) *dovecotProc {
	t.Helper()
	dir, err := os.MkdirTemp("", "ferrymail-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Dovecot's unprivileged processes must reach the mail.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := &dovecotProc{dir: dir, conf: filepath.Join(dir, "dovecot.conf"), home: filepath.Join(dir, "home"),
		imapPort: freePort(t), pop3Port: freePort(t)}
	if err := os.MkdirAll(d.home, 0o755); err != nil {
		t.Fatal(err)
	}
	// As root, Dovecot runs its services as Debian's dovecot and dovenull
	// users; otherwise everything runs as the test's own user.
	internal, login, mailUser := "dovecot", "dovenull", "dovecot"
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		internal, login, mailUser = u.Username, u.Username, u.Username
	} else {
		u, err := user.Lookup(mailUser)
		if err != nil {
			t.Skipf("no %s user: %v", mailUser, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(d.home, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
mail_location = %[2]s
default_internal_user = %[3]s
default_login_user = %[4]s
passdb {
  driver = static
  args = password=pw
}
userdb {
  driver = static
  args = uid=%[5]s gid=%[5]s home=%[6]s/%%u
}
service imap-login {
  chroot =
  inet_listener imap {
    port = %[7]d
  }
}
service pop3-login {
  chroot =
  inet_listener pop3 {
    port = %[8]d
  }
}
service anvil {
  chroot =
}
%[9]s
`, dir, mailLocation, internal, login, mailUser, d.home, d.imapPort, d.pop3Port, extra)
	if err := os.WriteFile(d.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d.start(t)
	t.Cleanup(func() { d.stop(t) })
	return d
}

func (d *dovecotProc) start(t testing.TB) {
	t.Helper()
	// The master daemonizes; its children would keep a pipe for output
	// open, so the output goes to a file (exec waits for pipes to close).
	out, err := os.Create(filepath.Join(d.dir, "start.out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/sbin/dovecot", "-c", d.conf)
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	out.Close()
	if err != nil {
		o, _ := os.ReadFile(filepath.Join(d.dir, "start.out"))
		log, _ := os.ReadFile(filepath.Join(d.dir, "log"))
		t.Fatalf("starting dovecot: %v\n%s\n%s", err, o, log)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", d.imapPort))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(d.dir, "log"))
			t.Fatalf("dovecot does not answer on port %d:\n%s", d.imapPort, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends this Dovecot (its master process, by the PID it wrote) and
// waits until it is gone, so that its files are final.
func (d *dovecotProc) stop(t testing.TB) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.dir, "run", "master.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	os.Remove(filepath.Join(d.dir, "run", "master.pid"))
}

// client runs testdata/dovecot_client.py against this Dovecot.
func (d *dovecotProc) client(t *testing.T, action string) []byte {
	t.Helper()
	return runMailClient(t, d.imapPort, d.pop3Port, action, func() string {
		log, _ := os.ReadFile(filepath.Join(d.dir, "log"))
		return "dovecot log:\n" + string(log)
	})
}

// runMailClient runs testdata/dovecot_client.py (Python's imaplib and
// poplib) against an IMAP and a POP3 port on loopback: Dovecot's, or
// Ferrymail's own.
func runMailClient(t *testing.T, imapPort, pop3Port int, action string, logs func() string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "testdata/dovecot_client.py", strconv.Itoa(imapPort), strconv.Itoa(pop3Port), action)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("dovecot_client.py %s: %v\n%s\n%s", action, err, stderr, logs())
	}
	return out
}

// served is what Dovecot served (dovecot_client.py dump).
type served struct {
	Separator string `json:"separator"`
	Mailboxes map[string]struct {
		UIDValidity uint32 `json:"uidvalidity"`
		UIDNext     uint32 `json:"uidnext"`
		Messages    []struct {
			UID          uint32   `json:"uid"`
			Flags        []string `json:"flags"`
			InternalDate int64    `json:"internaldate"`
			Size         int64    `json:"size"`
			SHA256       string   `json:"sha256"`
		} `json:"messages"`
	} `json:"mailboxes"`
	Subscribed []string `json:"subscribed"`
	UIDL       []string `json:"uidl"`
	List       []int64  `json:"list"`
}

func (d *dovecotProc) dump(t *testing.T) served {
	t.Helper()
	return parseServed(t, d.client(t, "dump"))
}

func parseServed(t *testing.T, b []byte) served {
	t.Helper()
	var s served
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("reading the dump: %v", err)
	}
	return s
}
