package tests

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The configuration end-to-end tests (issue 7, docs/configuration.md): the
// built binary with a TOML file, flags over it, every problem reported
// before anything starts, and the zero configuration.

// writeConfig writes a configuration file into a new directory.
func writeConfig(t *testing.T, doc string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ferrymail.toml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigProblemsListedAtOnce: one line per problem, each with the file,
// line and key (or the flag), every class of problem in one run, and
// nothing started.
func TestConfigProblemsListedAtOnce(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	missing := filepath.Join(t.TempDir(), "missing.pem")
	cfg := writeConfig(t, `# line 1
imap_addr = "127.0.0.1:1143"

[imap]
addr = "127.0.0.1"

[tls]
cert = "`+missing+`"
key = "`+missing+`"
starttls = "sometimes"

[log]
format = "xml"

[limits]
login_block = "-5m"
max_connections_per_ip = -1

[pop3s]
addr = "127.0.0.1:995"
`)
	r := ferrymail(t, "", "serve", "--config", cfg, "--data", dir, "--pop3", "127.0.0.1:0", "--imaps", "nonsense")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	want := []string{
		cfg + `:2: imap_addr: unknown key`,
		cfg + `:5: imap.addr: bad address "127.0.0.1"`,
		`flag --imaps: imap.imaps_addr: bad address "nonsense"`,
		cfg + `:10: tls.starttls: "sometimes" is not one of auto, on, off`,
		cfg + `:8: tls.cert: ` + missing + ` does not exist`,
		cfg + `:9: tls.key: ` + missing + ` does not exist`,
		cfg + `:13: log.format: "xml" is not one of text, json`,
		cfg + `:17: limits.max_connections_per_ip: -1 is negative`,
		cfg + `:16: limits.login_block: "-5m" is negative`,
		cfg + `:19: pop3s: unknown section`,
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	for _, w := range want {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, "ferrymail: "+w) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line %q in stderr:\n%s", "ferrymail: "+w, r.stderr)
		}
	}
	if last := lines[len(lines)-1]; !regexp.MustCompile(`^ferrymail: the configuration has \d+ problems \(above\)$`).MatchString(last) {
		t.Errorf("last line %q, want the count of problems", last)
	}
	if len(lines) != len(want)+1 {
		t.Errorf("%d lines, want %d (one per problem and the count):\n%s", len(lines), len(want)+1, r.stderr)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the data directory was created although the configuration was refused: %v", err)
	}
}

// TestConfigSyntaxError: a file that is not TOML is one error with its
// line; so is a value of the wrong type.
func TestConfigSyntaxError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ doc, want string }{
		{"[imap]\naddr = 127.0.0.1:1143\n", ":2: "},
		{"[tls]\n\nallow_plaintext_auth = \"yes\"\n", ":3: tls.allow_plaintext_auth: "},
	} {
		cfg := writeConfig(t, tc.doc)
		line := mustFail(t, 1, "", "serve", "--config", cfg, "--data", t.TempDir())
		if !strings.HasPrefix(line, "ferrymail: "+cfg+tc.want) {
			t.Errorf("serve with %q: %q, want it to start with %q", tc.doc, line, "ferrymail: "+cfg+tc.want)
		}
	}
	line := mustFail(t, 1, "", "serve", "--config", filepath.Join(t.TempDir(), "none.toml"))
	if !strings.Contains(line, "none.toml") || !strings.Contains(line, "no such file") {
		t.Errorf("serve with a missing file: %q", line)
	}
}

// TestConfigFlagsOverrideFile: the flags given override the file (the
// file's bad IMAP address and data directory are replaced by startServe's
// flags), and the flags not given leave the file alone (its POP3S listener
// and starttls = "off" stay until --starttls on is given).
func TestConfigFlagsOverrideFile(t *testing.T) {
	t.Parallel()
	curl := needTool(t, "curl")
	dir := t.TempDir()
	imapSeed(t, dir, "INBOX", tlsBody)
	cfg := writeConfig(t, `data = "from-the-file"
[imap]
addr = "not an address"
[pop3]
pop3s_addr = "127.0.0.1:0"
[tls]
starttls = "off"
`)
	user := imapUser + ":" + imapPass
	ca := selfSignedFile(dir)

	srv := startServe(t, dir, "--config", cfg) // --data, --imap, --pop3 given
	if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "from-the-file")); !os.IsNotExist(err) {
		t.Errorf("the file's data directory was used although --data was given: %v", err)
	}
	if out, code := runTool(t, nil, curl, "-sS", "--max-time", "20", "--cacert", ca, "-u", user, "pop3s://"+serviceAddr(t, srv, "pop3s")+"/1"); code != 0 || out != tlsBody {
		t.Errorf("POP3S from the file: curl exit %d, %q", code, out)
	}
	// starttls = "off": no STLS, so curl --ssl-reqd cannot get TLS (64).
	plain := "pop3://" + serviceAddr(t, srv, "pop3") + "/1"
	if out, code := runTool(t, nil, curl, "-sS", "--max-time", "20", "--cacert", ca, "--ssl-reqd", "-u", user, plain); code != 64 {
		t.Errorf("STLS with starttls = \"off\": curl exit %d, want 64 (TLS required but not offered):\n%s", code, out)
	}
	srv.sigterm(t)

	srv = startServe(t, dir, "--config", cfg, "--starttls", "on")
	plain = "pop3://" + serviceAddr(t, srv, "pop3") + "/1"
	if out, code := runTool(t, nil, curl, "-sS", "--max-time", "20", "--cacert", ca, "--ssl-reqd", "-u", user, plain); code != 0 || out != tlsBody {
		t.Errorf("STLS with --starttls on over the file's off: curl exit %d, %q", code, out)
	}
	srv.sigterm(t)
}

// TestConfigRelativePaths: relative paths in the file are taken from the
// file's directory, whatever the working directory.
func TestConfigRelativePaths(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, `data = "data"
[imap]
addr = "127.0.0.1:0"
[pop3]
addr = "127.0.0.1:0"
`)
	p := startServeNoDefaults(t, t.TempDir(), filepath.Join(filepath.Dir(cfg), "data"), "--config", cfg)
	// Without TLS, SIGHUP has nothing to reload, says so, and must not
	// stop the server (its default action would).
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, p, regexp.MustCompile(`msg="reload: no TLS certificate to reload"`), "the SIGHUP")
	p.sigterm(t)
}

// TestConfigZero: no file and no flags is today's loopback server, IMAP on
// 127.0.0.1:1143 and POP3 on 127.0.0.1:1110, data in ./ferrymail-data,
// without TLS. It needs those two ports; when something else on this
// machine holds them it says so and skips.
func TestConfigZero(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:1143", "127.0.0.1:1110"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("the default address %s is taken on this machine (%v); the zero configuration needs it", addr, err)
		}
		ln.Close()
	}
	cwd := t.TempDir()
	p := startServeNoDefaults(t, cwd, filepath.Join(cwd, "ferrymail-data"))
	if got := serviceAddr(t, p, "imap"); got != "127.0.0.1:1143" {
		t.Errorf("IMAP on %s, want 127.0.0.1:1143", got)
	}
	if got := serviceAddr(t, p, "pop3"); got != "127.0.0.1:1110" {
		t.Errorf("POP3 on %s, want 127.0.0.1:1110", got)
	}
	out := p.stderr.String()
	if strings.Contains(out, "TLS certificate") || strings.Contains(out, "service=imaps") || strings.Contains(out, "service=pop3s") {
		t.Errorf("the zero configuration set up TLS:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(cwd, "ferrymail-data", "tls")); !os.IsNotExist(err) {
		t.Errorf("the zero configuration made a certificate: %v", err)
	}
	c, err := net.DialTimeout("tcp", "127.0.0.1:1143", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(clientTimeout))
	buf := make([]byte, 512)
	n, _ := c.Read(buf)
	c.Close()
	if greeting := string(buf[:n]); !strings.HasPrefix(greeting, "* OK") || strings.Contains(greeting, "STARTTLS") {
		t.Errorf("IMAP greeting %q, want OK without STARTTLS", greeting)
	}
	p.sigterm(t)
}

// startServeNoDefaults starts "ferrymail serve args..." in the working
// directory cwd, without startServe's --data and port-0 flags, and waits
// for the admin socket in dataDir.
func startServeNoDefaults(t *testing.T, cwd, dataDir string, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{stderr: new(syncBuffer), exited: make(chan struct{})}
	p.cmd = exec.Command(binary, append([]string{"serve"}, args...)...)
	p.cmd.Dir = cwd
	p.cmd.Stdout, p.cmd.Stderr = p.stderr, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), serveReadyTimeout)
	defer cancel()
	sock := filepath.Join(dataDir, "admin.sock")
	for ctx.Err() == nil {
		select {
		case <-p.exited:
			if len(args) == 0 && strings.Contains(p.stderr.String(), "address already in use") {
				// Another program took a default port between the
				// check in TestConfigZero and this start.
				t.Skipf("a default port was taken while the server started:\n%s", p.stderr)
			}
			t.Fatalf("ferrymail serve exited before it was ready: %v; output:\n%s", p.err, p.stderr)
		default:
		}
		if nc, err := net.DialTimeout("unix", sock, time.Second); err == nil {
			nc.Close()
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("ferrymail serve: %s did not accept connections within %v; output:\n%s", sock, serveReadyTimeout, p.stderr)
	return nil
}
