package main

import (
	"strings"
	"testing"
)

func TestParsePasswdLine(t *testing.T) {
	for _, tc := range []struct {
		line, name, hash string
		ok, err          bool
	}{
		{line: "alice:{SHA512-CRYPT}$6$s$h:1000:1000::/home/alice::", name: "alice", hash: "{SHA512-CRYPT}$6$s$h", ok: true},
		{line: "bob@example.org:{PLAIN}pw", name: "bob@example.org", hash: "{PLAIN}pw", ok: true},
		{line: "carol:$5$s$h:::::userdb_quota_rule=*:storage=1G\r", name: "carol", hash: "$5$s$h", ok: true},
		{line: ""},
		{line: "   "},
		{line: "# comment:with:colons"},
		{line: "  # indented comment"},
		{line: "dave", err: true},
		{line: "dave:", err: true},
		{line: "dave::1000", err: true},
		{line: ":{PLAIN}x", err: true},
	} {
		name, hash, ok, err := parsePasswdLine(tc.line)
		if name != tc.name || hash != tc.hash || ok != tc.ok || (err != nil) != tc.err {
			t.Errorf("parsePasswdLine(%q) = %q, %q, %v, %v; want %q, %q, %v, error %v",
				tc.line, name, hash, ok, err, tc.name, tc.hash, tc.ok, tc.err)
		}
	}
}

func TestReadPasswdFile(t *testing.T) {
	in := "# users\nalice:{PLAIN}a\n\nbroken\nbob:{PLAIN}b:1:1\n"
	entries, bad, err := readPasswdFile(strings.NewReader(in), "passwd")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0] != (passwdEntry{line: 2, name: "alice", hash: "{PLAIN}a"}) ||
		entries[1] != (passwdEntry{line: 5, name: "bob", hash: "{PLAIN}b"}) {
		t.Errorf("entries: got %+v", entries)
	}
	if len(bad) != 1 || !strings.HasPrefix(bad[0].Error(), "passwd:4: ") {
		t.Errorf("bad lines: got %v", bad)
	}
	if _, _, err := readPasswdFile(strings.NewReader(strings.Repeat("x", maxPasswdLine+1)), "big"); err == nil {
		t.Error("over-long line: no error")
	}
}

// FuzzParsePasswdLine: any line parses without panicking, and an account
// line's name and hash are non-empty and contain no ':' or newline.
func FuzzParsePasswdLine(f *testing.F) {
	for _, s := range []string{
		"alice:{SHA512-CRYPT}$6$s$h:1000:1000::/home/alice::",
		"# comment", "", "x", "x:", ":y", "a:b:c:d:e:f:g:h:i", "a:b\r",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		name, hash, ok, err := parsePasswdLine(line)
		if !ok {
			return
		}
		if err != nil || name == "" || hash == "" || strings.ContainsAny(name, ":") || strings.ContainsAny(hash, ":") {
			t.Fatalf("parsePasswdLine(%q) = %q, %q, %v, %v", line, name, hash, ok, err)
		}
	})
}
