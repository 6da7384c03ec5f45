package tests

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serveReadyTimeout bounds the wait for "ferrymail serve" to answer on its
// admin socket.
const serveReadyTimeout = 10 * time.Second

// serveExitTimeout bounds the wait for "ferrymail serve" to exit after a
// signal.
const serveExitTimeout = 5 * time.Second

// serveProc is a running "ferrymail serve".
type serveProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// syncBuffer is a bytes.Buffer that the process's output copier and the
// test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe starts "ferrymail serve --data dir" and waits until its admin
// socket accepts connections. The process is killed at the end of the test
// if it still runs. args come after the defaults and override them
// ("--pop3", "127.0.0.1:1234").
func startServe(t *testing.T, dir string, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{stderr: new(syncBuffer), exited: make(chan struct{})}
	// Every listener on port 0: tests run in parallel, and must not need the
	// default ports. popAddr finds the bound address in the log.
	p.cmd = exec.Command(binary, append([]string{"serve", "--data", dir, "--pop3", "127.0.0.1:0", "--imap", "127.0.0.1:0"}, args...)...)
	p.cmd.Stdout = p.stderr
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting ferrymail serve: %v", err)
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
	sock := filepath.Join(dir, "admin.sock")
	deadline := time.Now().Add(serveReadyTimeout)
	for {
		select {
		case <-p.exited:
			t.Fatalf("ferrymail serve exited before it was ready: %v; output:\n%s", p.err, p.stderr)
		default:
		}
		if nc, err := net.DialTimeout("unix", sock, time.Second); err == nil {
			nc.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("ferrymail serve: %s did not accept connections within %v; output:\n%s", sock, serveReadyTimeout, p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends sig and waits for the process to exit, returning its exit
// status (-1 when killed by a signal).
func (p *serveProc) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signalling ferrymail serve: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(serveExitTimeout):
		t.Fatalf("ferrymail serve did not exit within %v of %v; output:\n%s", serveExitTimeout, sig, p.stderr)
	}
	return p.cmd.ProcessState.ExitCode()
}

// sigterm stops the server and requires a clean exit.
func (p *serveProc) sigterm(t *testing.T) {
	t.Helper()
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("ferrymail serve exited %d after SIGTERM, want 0; output:\n%s", code, p.stderr)
	}
}

// serviceAddr returns the bound address of one of serve's listeners
// ("imap", "pop3s", "lmtp", "metrics" …), as logged at startup: the tests
// listen on port 0. The one place that reads it from the log.
func serviceAddr(t *testing.T, p *serveProc, service string) string {
	t.Helper()
	re := regexp.MustCompile(`msg=listening service=` + service + ` addr=(\S+)`)
	return waitLog(t, p, re, "its "+service+" address")[1]
}

// waitLog waits until the server's output matches re and returns the
// submatches of the last match.
func waitLog(t *testing.T, p *serveProc, re *regexp.Regexp, what string) []string {
	t.Helper()
	deadline := time.Now().Add(serveReadyTimeout)
	for {
		if ms := re.FindAllStringSubmatch(p.stderr.String(), -1); ms != nil {
			return ms[len(ms)-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("ferrymail serve did not log %s within %v; output:\n%s", what, serveReadyTimeout, p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
