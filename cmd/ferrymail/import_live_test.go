package main

import (
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/ferrymail/ferrymail/server/admin"
)

// TestLiveServerFlags: the flags that import pop3 and import imap share
// are checked with the same usage errors and copied into the request, the
// password file made absolute.
func TestLiveServerFlags(t *testing.T) {
	cmd := &command{name: "import pop3"}
	parse := func(args ...string) (*liveServerFlags, error) {
		var f importFlags
		fs := newImportFlagSet(cmd, &f)
		fs.SetOutput(io.Discard)
		var l liveServerFlags
		l.bind(fs, "POP3", "STLS", "POP3S")
		return &l, l.parse(cmd, fs, &f, append([]string{"--to", "alice"}, args...))
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "", "--host", "h:110", "--user", "u", "--password-file", "pw"}, "import pop3: --to USER is required"},
		{[]string{"--host", "h:110", "--user", "u", "--password-file", "pw", "extra"}, `import pop3: unexpected argument "extra"`},
		{[]string{"--user", "u", "--password-file", "pw"}, "import pop3: --host HOST:PORT, --user U and --password-file F are required"},
		{[]string{"--host", "h:110", "--password-file", "pw"}, "import pop3: --host HOST:PORT, --user U and --password-file F are required"},
		{[]string{"--host", "h:110", "--user", "u"}, "import pop3: --host HOST:PORT, --user U and --password-file F are required"},
		{[]string{"--host", "h", "--user", "u", "--password-file", "pw"}, `import pop3: --host "h": address h: missing port in address`},
		{[]string{"--host", "h:110", "--user", "u", "--password-file", "pw", "--tls", "ssl"}, `import pop3: --tls: TLS mode "ssl": want none, starttls or implicit`},
	} {
		_, err := parse(tc.args...)
		var uerr *usageError
		if !errors.As(err, &uerr) || err.Error() != tc.want {
			t.Errorf("%q: err = %v, want the usage error %q", tc.args, err, tc.want)
		}
	}

	l, err := parse("--host", "legacy.example:995", "--user", "bob", "--password-file", "pw.txt", "--tls", "implicit", "--insecure-skip-verify")
	if err != nil {
		t.Fatal(err)
	}
	req := admin.ImportRequest{Format: admin.FormatPOP3, User: "alice"}
	l.apply(&req)
	abs, _ := filepath.Abs("pw.txt")
	want := admin.ImportRequest{Format: admin.FormatPOP3, User: "alice", Host: "legacy.example:995", RemoteUser: "bob",
		PasswordFile: abs, TLS: "implicit", InsecureSkipVerify: true}
	if !filepath.IsAbs(req.PasswordFile) || req.Host != want.Host || req.RemoteUser != want.RemoteUser ||
		req.PasswordFile != want.PasswordFile || req.TLS != want.TLS || req.InsecureSkipVerify != want.InsecureSkipVerify ||
		req.Format != want.Format || req.User != want.User {
		t.Errorf("request %+v, want %+v", req, want)
	}
}
