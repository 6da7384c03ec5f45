package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/internal/testcert"
)

func TestDefaultIsValid(t *testing.T) {
	cfg := Default()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v, want nil", err)
	}
	// No TLS: no certificate, no implicit-TLS listener, STARTTLS only if
	// a certificate appears (server.wantsTLS).
	if cfg.TLS.Cert != "" || cfg.IMAP.IMAPSAddr != "" || cfg.POP3.POP3SAddr != "" || cfg.TLS.StartTLS != StartTLSAuto {
		t.Errorf("the zero configuration asks for TLS (%+v); it must stay today's plain loopback server", cfg)
	}
}

func TestEmptyFileIsDefault(t *testing.T) {
	cfg, err := parse("empty.toml", "# nothing set\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	def := Default()
	if cfg.DataDir != def.DataDir || cfg.IMAP != def.IMAP || cfg.POP3 != def.POP3 || cfg.TLS != def.TLS || cfg.Log != def.Log || cfg.UIDL != def.UIDL {
		t.Errorf("an empty file gives %+v, want the defaults %+v", cfg, def)
	}
}

func TestLoadReadsEveryKey(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeTestPair(t, dir)
	path := filepath.Join(dir, "ferrymail.toml")
	doc := `data = "mail"
[imap]
addr = "127.0.0.1:2143"
imaps_addr = "127.0.0.1:2993"
[pop3]
addr = "127.0.0.1:2110"
pop3s_addr = "127.0.0.1:2995"
[lmtp]
addr = "unix:lmtp.sock"
[tls]
cert = "cert.pem"
key = "key.pem"
starttls = "on"
allow_plaintext_auth = true
[log]
format = "json"
level = "debug"
[passwords]
rehash_on_login = true
[uidl]
template = "%u.%v"
`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	checks := []struct{ name, got, want string }{
		{"data (relative to the file)", cfg.DataDir, filepath.Join(dir, "mail")},
		{"imap.addr", cfg.IMAP.Addr, "127.0.0.1:2143"},
		{"imap.imaps_addr", cfg.IMAP.IMAPSAddr, "127.0.0.1:2993"},
		{"pop3.addr", cfg.POP3.Addr, "127.0.0.1:2110"},
		{"pop3.pop3s_addr", cfg.POP3.POP3SAddr, "127.0.0.1:2995"},
		{"lmtp.addr (relative to the file)", cfg.LMTP.Addr, "unix:" + filepath.Join(dir, "lmtp.sock")},
		{"tls.cert", cfg.TLS.Cert, certFile},
		{"tls.key", cfg.TLS.Key, keyFile},
		{"tls.starttls", cfg.TLS.StartTLS, "on"},
		{"log.format", cfg.Log.Format, "json"},
		{"log.level", cfg.Log.Level, "debug"},
		{"uidl.template", cfg.UIDL.Template, "%u.%v"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !cfg.TLS.AllowPlaintextAuth || !cfg.Passwords.RehashOnLogin {
		t.Errorf("booleans: allow_plaintext_auth=%v rehash_on_login=%v, want true, true", cfg.TLS.AllowPlaintextAuth, cfg.Passwords.RehashOnLogin)
	}
}

// TestValidateProblems: one case per class of problem, each reported with
// the file, line and key.
func TestValidateProblems(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeTestPair(t, dir)
	otherCert, _ := writeTestPair(t, t.TempDir())
	unreadable := filepath.Join(dir, "unreadable.pem")
	if err := os.WriteFile(unreadable, []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, doc, want string
	}{
		{"unknown key", "[imap]\nadr = \"127.0.0.1:1\"\n", "x.toml:2: imap.adr: unknown key"},
		{"unknown section", "\n[imapx]\naddr = \"127.0.0.1:1\"\n", "x.toml:2: imapx: unknown section"},
		{"unknown top-level key", "datadir = \"/x\"\n", "x.toml:1: datadir: unknown key"},
		{"address without port", "[imap]\naddr = \"127.0.0.1\"\n", `x.toml:2: imap.addr: bad address "127.0.0.1"`},
		{"address with bad port", "[pop3]\npop3s_addr = \"127.0.0.1:99999\"\n", `x.toml:2: pop3.pop3s_addr: bad address "127.0.0.1:99999": port "99999"`},
		{"address with a named port", "[imap]\nimaps_addr = \"127.0.0.1:imaps\"\n", `imap.imaps_addr: bad address "127.0.0.1:imaps"`},
		{"empty required address", "[imap]\naddr = \"\"\n", "x.toml:2: imap.addr: must not be empty"},
		{"bad lmtp address", "[lmtp]\naddr = \"lmtp.sock\"\n", `x.toml:2: lmtp.addr: bad address "lmtp.sock"`},
		{"empty unix socket", "[lmtp]\naddr = \"unix:\"\n", `x.toml:2: lmtp.addr: "unix:" needs a socket path`},
		{"missing certificate", "[tls]\ncert = \"/nonexistent/cert.pem\"\nkey = \"" + keyFile + "\"\n", "x.toml:2: tls.cert: /nonexistent/cert.pem does not exist"},
		{"missing key", "[tls]\ncert = \"" + certFile + "\"\nkey = \"/nonexistent/key.pem\"\n", "x.toml:3: tls.key: /nonexistent/key.pem does not exist"},
		{"key without certificate", "[tls]\n\nkey = \"" + keyFile + "\"\n", "x.toml:3: tls.key: a key without a certificate"},
		{"certificate without key", "[tls]\ncert = \"" + certFile + "\"\n", "x.toml:2: tls.cert: a certificate without a key"},
		{"certificate and key that do not match", "[tls]\ncert = \"" + otherCert + "\"\nkey = \"" + keyFile + "\"\n", "x.toml:2: tls.cert: " + otherCert + " and " + keyFile + " are not a certificate and its key"},
		{"certificate is a directory", "[tls]\ncert = \"" + dir + "\"\nkey = \"" + keyFile + "\"\n", "tls.cert: " + dir + " is not a regular file"},
		{"certificate is a device", "[tls]\ncert = \"/dev/zero\"\nkey = \"" + keyFile + "\"\n", "tls.cert: /dev/zero is not a regular file"},
		{"bad starttls", "[tls]\nstarttls = \"yes\"\n", `x.toml:2: tls.starttls: "yes" is not one of auto, on, off`},
		{"bad log format", "[log]\nformat = \"xml\"\n", `x.toml:2: log.format: "xml" is not one of text, json`},
		{"bad log level", "[log]\nlevel = \"verbose\"\n", `x.toml:2: log.level: "verbose" is not one of debug, info, warn, error`},
		{"bad UIDL template", "[uidl]\ntemplate = \"%q\"\n", "x.toml:2: uidl.template:"},
		{"empty data", "data = \"\"\n", "x.toml:1: data: must not be empty"},
	}
	if os.Geteuid() != 0 { // root reads any file
		tests = append(tests, struct{ name, doc, want string }{"unreadable certificate",
			"[tls]\ncert = \"" + unreadable + "\"\nkey = \"" + keyFile + "\"\n", "x.toml:2: tls.cert: " + unreadable + " cannot be read"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parse("x.toml", tc.doc)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			err = cfg.Validate()
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 {
				t.Fatalf("Validate() = %v, want exactly one problem", err)
			}
			if !strings.Contains(ps[0].Error(), tc.want) {
				t.Errorf("problem = %q, want it to contain %q", ps[0], tc.want)
			}
		})
	}
}

// TestValidateListsEveryProblem: problems are not reported one per start.
func TestValidateListsEveryProblem(t *testing.T) {
	doc := `bogus = 1
[imap]
addr = "nowhere"
[tls]
key = "/k.pem"
starttls = "maybe"
[log]
format = "xml"
level = "loud"
`
	cfg, err := parse("many.toml", doc)
	if err != nil {
		t.Fatal(err)
	}
	var ps Problems
	if !errors.As(cfg.Validate(), &ps) {
		t.Fatalf("Validate() did not return Problems")
	}
	want := []string{"many.toml:1: bogus", "many.toml:3: imap.addr", "many.toml:6: tls.starttls", "many.toml:5: tls.key", "many.toml:8: log.format", "many.toml:9: log.level"}
	if len(ps) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(want), ps)
	}
	for i, w := range want {
		if !strings.HasPrefix(ps[i].Error(), w+":") {
			t.Errorf("problem %d = %q, want it to start with %q", i, ps[i], w)
		}
	}
	// errors.As reaches each *Problem too.
	var p *Problem
	if !errors.As(cfg.Validate(), &p) || p.Key != "bogus" {
		t.Errorf("errors.As(*Problem) = %v, want the first problem", p)
	}
}

func TestSyntaxAndTypeErrorsCarryTheLine(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"[imap]\naddr = \n", "x.toml:2:"},
		{"[imap]\n\naddr = 1143\n", "x.toml:3:"},
		{"[tls]\nallow_plaintext_auth = \"yes\"\n", "x.toml:2:"},
	} {
		_, err := parse("x.toml", tc.doc)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("parse(%q) = %v, want an error starting %q", tc.doc, err, tc.want)
		}
	}
}

func TestFlagsAreNamedInProblems(t *testing.T) {
	cfg, err := parse("x.toml", "[imap]\naddr = \"127.0.0.1:1\"\n")
	if err != nil {
		t.Fatal(err)
	}
	cfg.IMAP.Addr = "bad"
	cfg.SetByFlag("imap.addr", "imap")
	err = cfg.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), `flag --imap: imap.addr: bad address "bad"`) {
		t.Errorf("Validate() = %v, want the flag named", err)
	}
	// Without a file, a bad flag is still named.
	cfg = Default()
	cfg.TLS.StartTLS = "sometimes"
	cfg.SetByFlag("tls.starttls", "starttls")
	if err := cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), "flag --starttls: tls.starttls:") {
		t.Errorf("Validate() = %v, want the flag named", err)
	}
}

func TestDurationCheck(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"10m", ""}, {"0s", ""}, {"1h30m", ""},
		{"-5s", "is negative"}, {"ten minutes", "is not a duration"}, {"10", "is not a duration"},
	} {
		var d Duration
		if err := d.UnmarshalText([]byte(tc.text)); err != nil {
			t.Fatalf("UnmarshalText(%q) = %v; it must keep the problem for Validate", tc.text, err)
		}
		got := d.check()
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("Duration(%q).check() = %q, want %q", tc.text, got, tc.want)
		}
	}
	if d := NewDuration(90 * time.Second); d.check() != "" || d.Duration != 90*time.Second {
		t.Errorf("NewDuration(90s) = %+v", d)
	}
}

func TestKeyLines(t *testing.T) {
	doc := "top = 1\n# comment\n[a]\nx = 1\n\"quoted\" = 2\n[ b . c ] # header comment\ny.z = '''\n[not-a-table]\nw = 3\n'''\nv = 4\n"
	got := keyLines(doc)
	want := map[string]int{"top": 1, "a": 3, "a.x": 4, "a.quoted": 5, "b.c": 6, "b.c.y.z": 7, "b.c.v": 11}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("line of %q = %d, want %d", k, got[k], n)
		}
	}
	if _, ok := got["not-a-table"]; ok {
		t.Errorf("a line inside a multi-line string was taken for a table header")
	}
}

// writeTestPair writes a self-signed certificate and its key to dir.
func writeTestPair(t *testing.T, dir string) (certFile, keyFile string) {
	return testcert.WriteFiles(t, dir, "test")
}
