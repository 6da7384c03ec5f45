package remote

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseTLSMode: a mode that parses prints as what was parsed (""
// aside), and anything else is refused.
func FuzzParseTLSMode(f *testing.F) {
	for _, s := range []string{"", "none", "starttls", "implicit", "tls", "NONE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseTLSMode(s)
		if err != nil {
			return
		}
		if s != "" && m.String() != s {
			t.Fatalf("ParseTLSMode(%q) = %v", s, m)
		}
		if back, err := ParseTLSMode(m.String()); err != nil || back != m {
			t.Fatalf("%v does not read back: %v, %v", m, back, err)
		}
	})
}

// FuzzReadPasswordFile: the password is the file's first line without
// its line end, never empty, and never holds a line break.
func FuzzReadPasswordFile(f *testing.F) {
	for _, s := range []string{"pw\n", "pw\r\n", "pw", "", "\n", "\r\r\n", "a\rb\nc"} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		p := filepath.Join(dir, "pw")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		pw, err := ReadPasswordFile(p)
		first, _, _ := strings.Cut(content, "\n")
		want := strings.TrimSuffix(first, "\r")
		switch {
		case want == "" && !errors.Is(err, ErrEmptyPassword):
			t.Fatalf("%q: %q, %v; want ErrEmptyPassword", content, pw, err)
		case want != "" && (err != nil || pw != want):
			t.Fatalf("%q: %q, %v; want %q", content, pw, err, want)
		case strings.Contains(pw, "\n"):
			t.Fatalf("%q: the password %q holds a line break", content, pw)
		}
	})
}
