package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// OpenOptions configure Open. The zero value opens an existing data
// directory and waits DefaultLockWait for a busy one.
type OpenOptions struct {
	// Logger receives the store's log lines when the store is opened here.
	Logger *slog.Logger
	// Create makes a missing data directory instead of failing: right for
	// "user add", wrong for a listing, where a mistyped --data would
	// otherwise leave an empty store behind.
	Create bool
	// LockWait is how long to keep trying while the directory is locked but
	// no admin socket answers; 0 means DefaultLockWait.
	LockWait time.Duration
}

// DefaultLockWait covers the moments in which "ferrymail serve" holds the
// store's lock without answering on the socket yet (starting) or any more
// (stopping), so that a command run then does not fail for nothing.
const DefaultLockWait = 2 * time.Second

// lockRetry is the pause between attempts while the directory is locked.
const lockRetry = 100 * time.Millisecond

// Open returns an API for the data directory dataDir and what to close when
// done with it. It talks to a running server through the admin socket when
// one answers; otherwise it opens the store directly. A stale socket file
// left by a killed server is ignored. badger's directory lock keeps two
// processes from opening one store: if the store is locked but nothing
// answers on the socket, Open fails with an error saying so.
func Open(ctx context.Context, dataDir string, opts OpenOptions) (API, io.Closer, error) {
	if !opts.Create {
		if _, err := os.Stat(dataDir); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("data directory %s does not exist", dataDir)
		}
	}
	wait := opts.LockWait
	if wait <= 0 {
		wait = DefaultLockWait
	}
	deadline := time.Now().Add(wait)
	path := SocketPath(dataDir)
	for {
		c, dialErr := Dial(ctx, path)
		if dialErr == nil {
			return c, c, nil
		}
		st, err := store.Open(ctx, dataDir, store.Options{
			Logger: opts.Logger,
			// A command runs for moments; the server collects garbage.
			GCInterval: -1,
		})
		if err == nil {
			return NewLocal(st), st, nil
		}
		if !errors.Is(err, store.ErrLocked) {
			return nil, nil, err
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("data directory %s is in use by another process (is ferrymail serve running?)", dataDir)
			if !isAbsent(dialErr) {
				// The socket is there but unusable (permissions, say):
				// that is the part the administrator can fix.
				return nil, nil, fmt.Errorf("%s; admin socket: %w", msg, dialErr)
			}
			return nil, nil, errors.New(msg)
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(lockRetry):
		}
	}
}
