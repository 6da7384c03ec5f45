package server

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// TestListenLMTPUnix: the LMTP Unix socket is created 0660 whatever the
// umask, replaces a stale socket, refuses a live one and is removed on
// Close.
func TestListenLMTPUnix(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lmtp.sock")
	// A stale socket: bound, then its listener closed without unlinking.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()

	ln, err := listenLMTP("unix:" + path)
	if err != nil {
		t.Fatalf("listenLMTP over a stale socket: %v", err)
	}
	if got := ln.Addr().String(); got != path {
		t.Errorf("Addr() = %q, want %q", got, path)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != lmtpSocketMode {
		t.Errorf("socket mode %v, want socket %v", fi.Mode(), os.FileMode(lmtpSocketMode))
	}
	if _, err := listenLMTP("unix:" + path); err == nil {
		t.Error("listenLMTP on a live socket: no error")
	}
	if err := ln.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket left behind after Close: %v", err)
	}
	if _, err := listenLMTP("unix:"); err == nil {
		t.Error(`listenLMTP("unix:"): no error`)
	}
	tcp, err := listenLMTP("127.0.0.1:0")
	if err != nil {
		t.Fatalf("listenLMTP TCP: %v", err)
	}
	tcp.Close()
}
