package batch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// batchDir returns a directory with a password file "pw" in it.
func batchDir(t testing.TB) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

const header = "protocol,host,tls,source_user,password_file,target_user\n"

func TestParse(t *testing.T) {
	dir := batchDir(t)
	abs := filepath.Join(dir, "pw")
	in := "\ufeffProtocol, Host ,TLS,Source_User,password_file,target_user,dry_run,attach_uidls\n" +
		"# a comment line\n" +
		"imap,mail.example.org:143,starttls,ann,pw,ann,,\n" +
		"pop3,mail.example.org:110,,ann,pw,ann,no,yes\n" +
		"POP3,\"[::1]:995\",implicit,\"bob, jr\"," + abs + ",bob,1,\n"
	got, err := Parse(strings.NewReader(in), "accounts.csv", dir)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []Account{
		{Line: 3, Protocol: "imap", Host: "mail.example.org:143", TLS: "starttls", SourceUser: "ann", PasswordFile: abs, TargetUser: "ann"},
		{Line: 4, Protocol: "pop3", Host: "mail.example.org:110", TLS: "none", SourceUser: "ann", PasswordFile: abs, TargetUser: "ann", AttachUIDLs: true},
		{Line: 5, Protocol: "pop3", Host: "[::1]:995", TLS: "implicit", SourceUser: "bob, jr", PasswordFile: abs, TargetUser: "bob", DryRun: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d accounts, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("account %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// Every bad row is named with its line, all in one error, and nothing is
// returned to run.
func TestParseBadRows(t *testing.T) {
	dir := batchDir(t)
	in := header +
		"imap,mail.example.org:143,none,ann,pw,ann\n" + // 2: fine
		"smtp,mail.example.org:25,none,bob,pw,bob\n" + // 3
		"imap,mail.example.org,none,carl,pw,carl\n" + // 4
		"imap,mail.example.org:99999,none,dora,pw,dora\n" + // 5
		"imap,mail.example.org:143,ssl,eve,pw,eve\n" + // 6
		"imap,mail.example.org:143,none,,pw,fay\n" + // 7
		"imap,mail.example.org:143,none,gus,missing-file,gus\n" + // 8
		"imap,mail.example.org:143,none,hal,pw,\n" + // 9
		"imap,mail.example.org:143,none,ivy,pw\n" + // 10: too few fields
		"imap,mail.example.org:143,none,ann,pw,ann\n" + // 11: same as line 2
		"imap,mail.example.org:143,none,\"jo\"e,pw,joe\n" + // 12: bare quote
		"imap,:143,none,kim,pw,kim\n" // 13
	_, err := Parse(strings.NewReader(in), "b.csv", dir)
	if err == nil {
		t.Fatal("Parse accepted bad rows")
	}
	for _, want := range []string{
		`b.csv:3: protocol "smtp"`,
		`b.csv:4: host "mail.example.org": want HOST:PORT`,
		`b.csv:5: host "mail.example.org:99999": port "99999" is not 1-65535`,
		`b.csv:6: tls "ssl"`,
		`b.csv:7: source_user is empty`,
		`b.csv:8: password_file: open `,
		`b.csv:9: target_user is empty`,
		`b.csv:10: 5 fields, the header has 6`,
		`b.csv:11: the same account as line 2`,
		`b.csv:12: `,
		`b.csv:13: host ":143"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "b.csv:2:") {
		t.Errorf("the good line 2 is named:\n%v", err)
	}
}

func TestParseBadHeaderAndOptions(t *testing.T) {
	dir := batchDir(t)
	for _, tc := range []struct{ in, want string }{
		{"", "empty file"},
		{"protocol,host\n", "lacks the column(s) tls, source_user, password_file, target_user"},
		{"protocol,host,tls,source_user,password_file,target_user,colour\n", `unknown column "colour"`},
		{"protocol,protocol,host,tls,source_user,password_file,target_user\n", `column "protocol" twice`},
		{header, "no accounts"},
		{strings.TrimSuffix(header, "\n") + ",dry_run\nimap,h:1,none,a,pw,a,maybe\n", `x.csv:2: dry_run: "maybe"`},
		{strings.TrimSuffix(header, "\n") + ",attach_uidls\nimap,h:1,none,a,pw,a,yes\n", "x.csv:2: attach_uidls is for pop3 rows"},
		{strings.TrimSuffix(header, "\n") + ",attach_uidls,expunge_missing\npop3,h:1,none,a,pw,a,yes,yes\n", "x.csv:2: attach_uidls imports and expunges nothing"},
		{"protocol,\"host\n", "x.csv"},
	} {
		_, err := Parse(strings.NewReader(tc.in), "x.csv", dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v; want an error with %q", tc.in, err, tc.want)
		}
	}
}

func TestParseManyErrorsBounded(t *testing.T) {
	dir := batchDir(t)
	in := header + strings.Repeat("ftp,h:1,none,a,pw,a\n", 500)
	_, err := Parse(strings.NewReader(in), "x.csv", dir)
	if err == nil || strings.Count(err.Error(), "\n") > maxErrors+1 || !strings.Contains(err.Error(), "and 450 more errors") {
		t.Errorf("500 bad rows: %d lines of error, want %d and a count of the rest:\n%.300v", strings.Count(err.Error(), "\n"), maxErrors+1, err)
	}
}

func FuzzParse(f *testing.F) {
	dir := batchDir(f)
	f.Add(header + "imap,mail.example.org:143,starttls,ann,pw,ann\n")
	f.Add(header + "pop3,\"h:1\",none,\"a,b\",pw,c\n\"unterminated\n")
	f.Add("protocol,host,tls,source_user,password_file,target_user,dry_run,expunge_missing,insecure_skip_verify,attach_uidls\npop3,h:110,,u,pw,t,1,0,yes,no\n")
	f.Add("#\n\n,,,\n")
	f.Fuzz(func(t *testing.T, in string) {
		accounts, err := Parse(strings.NewReader(in), "f.csv", dir)
		if err != nil {
			return
		}
		for _, a := range accounts {
			if a.Line < 2 || (a.Protocol != ProtocolIMAP && a.Protocol != ProtocolPOP3) || a.TargetUser == "" || a.SourceUser == "" || !filepath.IsAbs(a.PasswordFile) {
				t.Fatalf("Parse accepted an invalid account %+v from %q", a, in)
			}
		}
	})
}
