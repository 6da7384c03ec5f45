package batch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStateRecordAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	st, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Done("a") || st.Count() != 0 {
		t.Fatal("a new state file records something")
	}
	for _, k := range []string{"a", "b -> c (attach UIDLs)"} {
		if err := st.Record(k, report(3, 1, 0)); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	b, _ := os.ReadFile(path)
	if n := strings.Count(string(b), "\n"); n != 2 || !strings.Contains(string(b), `"imported":3`) {
		t.Errorf("state file:\n%s", b)
	}
	st, err = OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !st.Done("a") || !st.Done("b -> c (attach UIDLs)") || st.Done("c") || st.Count() != 2 {
		t.Errorf("reopened: count %d", st.Count())
	}
}

// FuzzOpenState: whatever a state file holds (torn lines, junk, another
// file given by mistake), opening it never fails on its content, and an
// account recorded afterwards is found again.
func FuzzOpenState(f *testing.F) {
	f.Add([]byte(`{"key":"pop3://a@h:1 -> a","finished":"2026-11-22T05:00:00Z","imported":3,"skipped":0}` + "\n"))
	f.Add([]byte(`{"key":"x"}` + "\n" + `{"key":`))
	f.Add([]byte("not json\n\n\x00\xff"))
	f.Fuzz(func(t *testing.T, content []byte) {
		if len(content) > maxStateLine {
			return // a line that long is refused: tested below
		}
		path := filepath.Join(t.TempDir(), "state")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := OpenState(path)
		if err != nil {
			t.Fatalf("OpenState: %v", err)
		}
		if err := st.Record("fuzz-key", nil); err != nil {
			t.Fatal(err)
		}
		st.Close()
		st, err = OpenState(path)
		if err != nil {
			t.Fatalf("OpenState after Record: %v", err)
		}
		defer st.Close()
		if !st.Done("fuzz-key") {
			t.Errorf("the recorded key is lost after %q", content)
		}
	})
}

func TestStateLongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	os.WriteFile(path, []byte(strings.Repeat("x", maxStateLine+10)), 0o600)
	if _, err := OpenState(path); err == nil {
		t.Error("a state file with a 64 KiB line was accepted silently")
	}
}
