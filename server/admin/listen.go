package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// SocketName is the admin socket's file name inside the data directory.
const SocketName = "admin.sock"

// SocketPath returns the admin socket's path for a data directory.
func SocketPath(dataDir string) string { return filepath.Join(dataDir, SocketName) }

// Listen creates the admin socket at path and listens on it. The socket is
// mode 0600 from the moment it has that name, whatever the umask: it is bound
// in a fresh 0700 directory, chmodded there, and renamed into place. Rename
// also replaces a stale socket left by a killed server; a socket on which a
// server still answers is an error instead.
//
// Closing the listener removes the socket file, unless another server has
// replaced it since.
func Listen(path string) (net.Listener, error) {
	if live, err := answers(path); err != nil {
		return nil, err
	} else if live {
		return nil, fmt.Errorf("listening on %s: another server answers on it", path)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".admin-")
	if err != nil {
		return nil, fmt.Errorf("creating admin socket: %w", err)
	}
	defer os.RemoveAll(tmp)
	// A short name: the whole path must fit in sun_path (108 bytes on Linux).
	tmpPath := filepath.Join(tmp, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmpPath, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on admin socket: %w", err)
	}
	// The bound path goes away with the rename; the listener must not
	// unlink whatever then has that name.
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(tmpPath, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("restricting admin socket: %w", err)
	}
	if err := os.Rename(tmpPath, path); err != nil {
		ln.Close()
		return nil, fmt.Errorf("placing admin socket at %s: %w", path, err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("checking admin socket: %w", err)
	}
	return &socketListener{UnixListener: ln, path: path, file: fi}, nil
}

// answers reports whether a server accepts connections on the socket at
// path. No file, or a file nobody listens on (ECONNREFUSED), is a no.
func answers(path string) (bool, error) {
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(context.Background(), "unix", path)
	if err == nil {
		nc.Close()
		return true, nil
	}
	if isAbsent(err) {
		return false, nil
	}
	return false, fmt.Errorf("checking for a running server on %s: %w", path, err)
}

// isAbsent reports whether a dial error means that no server listens: the
// socket file is missing, or is left over from a server that is gone.
func isAbsent(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)
}

// socketListener removes its socket file on Close.
type socketListener struct {
	*net.UnixListener
	path string
	file os.FileInfo

	once     sync.Once
	closeErr error
}

// Close closes the listener and removes the socket file. Serve and Shutdown
// both close it, so only the first call does anything.
func (l *socketListener) Close() error {
	l.once.Do(func() {
		l.closeErr = l.UnixListener.Close()
		if fi, err := os.Lstat(l.path); err == nil && os.SameFile(fi, l.file) {
			if err := os.Remove(l.path); err != nil && l.closeErr == nil {
				l.closeErr = fmt.Errorf("removing admin socket: %w", err)
			}
		}
	})
	return l.closeErr
}
