package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Ferrymail, the built binary: "ferrymail serve" on a loopback port of its
// own, with the per-IP and per-user connection limits off (the IDLE
// connections all come from 127.0.0.1 as one user).

type ferry struct {
	cmd      *exec.Cmd
	imapPort int
	log      string
}

func startFerry(binary, dataDir, workDir string) (*ferry, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(workDir, "ferrymail.toml")
	if err := os.WriteFile(conf, []byte("[limits]\nmax_connections_per_ip = 0\nmax_connections_per_user = 0\n\n[log]\nlevel = \"warn\"\n"), 0o644); err != nil {
		return nil, err
	}
	f := &ferry{imapPort: port, log: filepath.Join(workDir, "ferrymail.log")}
	logf, err := os.Create(f.log)
	if err != nil {
		return nil, err
	}
	f.cmd = exec.Command(binary, "serve", "--config", conf, "--data", dataDir,
		"--imap", f.addr(), "--pop3", "127.0.0.1:0")
	f.cmd.Stdout, f.cmd.Stderr = logf, logf
	if err := f.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	logf.Close()
	if err := waitListening(f.addr(), 60*time.Second); err != nil {
		f.stop()
		return nil, fmt.Errorf("ferrymail serve: %w\n%s", err, f.logTail())
	}
	return f, nil
}

func (f *ferry) addr() string { return fmt.Sprintf("127.0.0.1:%d", f.imapPort) }
func (f *ferry) pid() int     { return f.cmd.Process.Pid }

func (f *ferry) stop() {
	f.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		f.cmd.Process.Kill()
		<-done
	}
}

func (f *ferry) logTail() string {
	b, _ := os.ReadFile(f.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
