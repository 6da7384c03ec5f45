package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/dgraph-io/badger/v4"
)

// DiskSize reports the store's size on disk in bytes: badger's LSM tree
// (.sst files: keys, message records, small values) and its value log
// (.vlog files: message bodies). Badger's own DB.Size is kept only with
// its metrics enabled, which the store turns off (they are global expvars),
// so the directory is listed here: a few dozen files, cheap enough for
// every scrape. A file that vanishes while listed (compaction) is skipped.
// The size is what the files occupy, not their length: badger creates the
// value log file it writes to at its full length (2 GiB by default),
// sparse, and truncates it when it closes.
func (s *Store) DiskSize() (lsm, vlog int64) {
	dir := s.db.Opts().Dir
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0
	}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if ext != ".sst" && ext != ".vlog" {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if ext == ".sst" {
			lsm += allocated(fi)
		} else {
			vlog += allocated(fi)
		}
	}
	return lsm, vlog
}

// Ping reads one key, for health checks: it fails when the store is
// closed or cannot read. It does not wait for locks.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(ctx, func(txn *badger.Txn) error {
		_, err := txn.Get(keySequence("ids"))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		return err
	})
}

// allocated is the disk space a file occupies (its blocks), or its length
// where the system does not say.
func allocated(fi os.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512 // st_blocks counts 512-byte units (POSIX stat.h)
	}
	return fi.Size()
}
