package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ferrymail/ferrymail/store/password"
)

// Dovecot, set up as tests/import_helpers_test.go's startDovecot does (its
// own configuration, state and mail under one directory, loopback only),
// with the process and connection limits raised for the IDLE connections:
// Dovecot's defaults (default_process_limit 100,
// mail_max_userip_connections 10) would refuse them, and its imap
// processes' address-space limit for the big mailbox.

type dovecot struct {
	dir, conf, home string
	imapPort        int
	own             owner
}

// newDovecot prepares (but does not start) a Dovecot in dir. The Maildir of
// user alice is home/alice/Maildir.
func newDovecot(dir string, connections int) (*dovecot, error) {
	d := &dovecot{dir: dir, conf: filepath.Join(dir, "dovecot.conf"), home: filepath.Join(dir, "home"), own: owner{-1, -1}}
	if err := os.MkdirAll(filepath.Join(d.home, userName), 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	d.imapPort = port
	internal, login, mailUser := "dovecot", "dovenull", "dovecot"
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return nil, err
		}
		internal, login, mailUser = u.Username, u.Username, u.Username
	} else {
		u, err := user.Lookup(mailUser)
		if err != nil {
			return nil, fmt.Errorf("no %s user: %w", mailUser, err)
		}
		d.own.uid, _ = strconv.Atoi(u.Uid)
		d.own.gid, _ = strconv.Atoi(u.Gid)
		for _, p := range []string{d.home, filepath.Join(d.home, userName)} {
			if err := chown(p, d.own); err != nil {
				return nil, err
			}
		}
	}
	limit := connections + 100
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
mail_location = maildir:~/Maildir
default_internal_user = %[2]s
default_login_user = %[3]s
default_process_limit = %[7]d
default_client_limit = %[8]d
passdb {
  driver = passwd-file
  args = %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[4]s gid=%[4]s home=%[5]s/%%u
}
protocol imap {
  mail_max_userip_connections = %[7]d
}
service imap-login {
  chroot =
  inet_listener imap {
    port = %[6]d
  }
}
service imap {
  process_limit = %[7]d
  # The default 256 MB is too little for the first SELECT of 1,000,000
  # messages ("block_alloc(8388608): Out of memory").
  vsz_limit = 4G
}
service anvil {
  chroot =
  client_limit = %[8]d
}
service auth {
  client_limit = %[8]d
}
`, dir, internal, login, mailUser, d.home, d.imapPort, limit, 2*limit+100)
	// The same password hash as Ferrymail's (argon2id, 19 MiB, 2 passes):
	// every login costs both servers the same.
	hash, err := password.Hash(userPassword)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(userName+":{ARGON2ID}"+hash+"\n"), 0o644); err != nil {
		return nil, err
	}
	return d, os.WriteFile(d.conf, []byte(conf), 0o644)
}

func (d *dovecot) addr() string { return fmt.Sprintf("127.0.0.1:%d", d.imapPort) }

func (d *dovecot) maildir(mailbox string) string {
	if mailbox == "INBOX" {
		return filepath.Join(d.home, userName, "Maildir")
	}
	return filepath.Join(d.home, userName, "Maildir", "."+mailbox)
}

// start runs the master (it daemonizes) and waits until IMAP answers.
func (d *dovecot) start() error {
	out, err := os.Create(filepath.Join(d.dir, "start.out"))
	if err != nil {
		return err
	}
	cmd := exec.Command("/usr/sbin/dovecot", "-c", d.conf)
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	out.Close()
	if err != nil {
		o, _ := os.ReadFile(filepath.Join(d.dir, "start.out"))
		return fmt.Errorf("starting dovecot: %v\n%s", err, o)
	}
	if err := waitListening(d.addr(), 10*time.Second); err != nil {
		return err
	}
	// The master may write its PID file after it listens; the memory
	// figures need the PID (the root of the process tree).
	deadline := time.Now().Add(10 * time.Second)
	for d.masterPID() <= 1 {
		if time.Now().After(deadline) {
			return fmt.Errorf("dovecot wrote no master.pid in %s/run", d.dir)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// masterPID is the PID the master wrote, 0 if none.
func (d *dovecot) masterPID() int {
	b, err := os.ReadFile(filepath.Join(d.dir, "run", "master.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// stop ends this Dovecot's master (by its PID) and waits for it.
func (d *dovecot) stop() {
	pid := d.masterPID()
	if pid <= 1 {
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(20 * time.Second)
	for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *dovecot) logTail() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing answers on %s after %v", addr, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
