package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// removeEmptyLogFiles works around dgraph-io/badger#2207 (open, fix
// proposed in badger PR #2331): a process killed between badger creating a
// memtable (.mem) or value-log (.vlog) file and growing it leaves a 0-byte
// file, and badger.Open then fails with "Create a new file" — the data
// directory would not open after a kill -9 until someone retried. Such a
// file holds nothing (badger had not written to it), so removing it loses
// nothing; badger creates the file again when it needs it.
//
// It runs under our directory lock, before badger opens, so no badger is
// using the files. Remove this when a badger release includes the fix.
func removeEmptyLogFiles(dir string, log func(name string)) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading data directory: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".mem") || strings.HasSuffix(name, ".vlog")) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		if info.Size() != 0 {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("removing empty %s: %w", name, err)
		}
		log(name)
	}
	return nil
}
