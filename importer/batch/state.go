package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/ferrymail/ferrymail/importer"
)

// State is the batch's record of finished accounts: a file of JSON lines,
// one appended and synced per account that finished without error, so
// that a crash or kill -9 loses at most the line being written (a torn
// last line is ignored when the file is read again; that account runs
// again, as a cheap delta).
type State struct {
	mu   sync.Mutex
	f    *os.File
	done map[string]bool
}

type stateLine struct {
	Key      string    `json:"key"`
	Finished time.Time `json:"finished"`
	Imported int       `json:"imported"`
	Skipped  int       `json:"skipped"`
}

// maxStateLine bounds a line of the state file (a key is a few hundred
// bytes at most).
const maxStateLine = 64 << 10

// OpenState opens (or creates) a state file and reads what it records.
func OpenState(path string) (*State, error) {
	s := &State{done: map[string]bool{}}
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading the state file: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxStateLine)
	for sc.Scan() {
		var l stateLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Key != "" {
			s.done[l.Key] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the state file %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the state file: %w", err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		// A torn line from a crash: end it, so the next line stands alone.
		if _, err := f.Write([]byte("\n")); err != nil {
			f.Close()
			return nil, fmt.Errorf("writing the state file: %w", err)
		}
	}
	s.f = f
	return s, nil
}

// Done reports whether key finished in an earlier run.
func (s *State) Done(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done[key]
}

// Count is how many accounts the file records.
func (s *State) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.done)
}

// Record notes that key finished, durably, before it returns.
func (s *State) Record(key string, rep *importer.Report) error {
	l := stateLine{Key: key, Finished: time.Now().UTC()}
	if rep != nil {
		l.Imported, l.Skipped, _, _ = rep.Totals()
	}
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Write(append(b, '\n')); err != nil {
		return err
	}
	if err := s.f.Sync(); err != nil {
		return err
	}
	s.done[key] = true
	return nil
}

// Close closes the file.
func (s *State) Close() error { return s.f.Close() }
