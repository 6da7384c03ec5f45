package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// lmtpSocketMode is the mode of an LMTP Unix socket: owner and group may
// connect. The MTA (Postfix's lmtp client runs as user postfix) usually
// runs as another user than Ferrymail, so the administrator gives it the
// socket's group (chgrp the directory with setgid, or add postfix to
// Ferrymail's group); nobody else may deliver. Anyone who can connect can
// deliver mail to every account.
const lmtpSocketMode = 0o660

// listenLMTP listens on LMTPAddr: "unix:/path" for a Unix socket, anything
// else a TCP address.
func listenLMTP(addr string) (net.Listener, error) {
	path, ok := strings.CutPrefix(addr, "unix:")
	if !ok {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("listening for LMTP on %s: %w", addr, err)
		}
		return ln, nil
	}
	if path == "" {
		return nil, errors.New("listening for LMTP: empty socket path in \"unix:\"")
	}
	ln, err := listenUnixMode(path, lmtpSocketMode)
	if err != nil {
		return nil, fmt.Errorf("listening for LMTP on %s: %w", path, err)
	}
	return ln, nil
}

// listenUnixMode creates a Unix socket at path with mode from the moment
// it has that name, whatever the umask: it is bound in a fresh 0700
// directory beside path, chmodded there and renamed into place (as the
// admin socket is). The rename replaces a stale socket left by a killed
// server; a socket on which something still answers is an error. Closing
// the listener removes the file unless another server has replaced it.
func listenUnixMode(path string, mode os.FileMode) (net.Listener, error) {
	d := net.Dialer{Timeout: time.Second}
	if nc, err := d.DialContext(context.Background(), "unix", path); err == nil {
		nc.Close()
		return nil, errors.New("another server answers on it")
	} else if !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ECONNREFUSED) {
		return nil, fmt.Errorf("checking for a running server: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".lmtp-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	tmpPath := filepath.Join(tmp, "s") // short: sun_path is 108 bytes
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmpPath, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(tmpPath, mode); err != nil {
		ln.Close()
		return nil, err
	}
	if err := os.Rename(tmpPath, path); err != nil {
		ln.Close()
		return nil, err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return &unixListener{UnixListener: ln, path: path, file: fi}, nil
}

// unixListener removes its socket file on Close.
type unixListener struct {
	*net.UnixListener
	path string
	file os.FileInfo

	once     sync.Once
	closeErr error
}

// Addr is the socket's final path, not the temporary one it was bound at.
func (l *unixListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

func (l *unixListener) Close() error {
	l.once.Do(func() {
		l.closeErr = l.UnixListener.Close()
		if fi, err := os.Lstat(l.path); err == nil && os.SameFile(fi, l.file) {
			if err := os.Remove(l.path); err != nil && l.closeErr == nil {
				l.closeErr = err
			}
		}
	})
	return l.closeErr
}
