package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrymail/ferrymail/bench/loadgen"
)

// The end-to-end tests of "ferrymail bench": the built binary's load
// generator against the built binary's server, and against a real Dovecot.
// They check that the load runs and is measured without errors, never how
// fast: the machines are noisy (figures come from bench/compare.sh).

const (
	benchPassword = "bench pw"
	benchUsers    = 2
)

// benchArgs are the arguments every bench run of these tests takes: short,
// and the same seed.
func benchArgs(extra ...string) []string {
	return append([]string{"--user-prefix", "bench", "--user-count", fmt.Sprint(benchUsers), "--password", benchPassword,
		"--clients", fmt.Sprint(benchUsers), "--seed", "7"}, extra...)
}

// runBench runs "ferrymail bench" with args and --json, and returns the
// report and what was said on stderr.
func runBench(t *testing.T, args ...string) (*loadgen.Report, string) {
	t.Helper()
	r := ferrymail(t, "", append(append([]string{"bench"}, benchArgs(args...)...), "--duration", "2s", "--warmup", "300ms", "--idle", "20ms", "--json")...)
	if r.code != 0 {
		t.Fatalf("ferrymail bench %q: exit %d; stderr:\n%s", args, r.code, r.stderr)
	}
	rep, err := loadgen.ReadReport(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatalf("%v; stdout:\n%s", err, r.stdout)
	}
	return rep, r.stderr
}

// checkReport requires every op in want to have been measured, and no
// failures, except where allowed says which error text is tolerated.
func checkReport(t *testing.T, rep *loadgen.Report, stderr string, want []loadgen.Op, allowed string) {
	t.Helper()
	for _, op := range want {
		if rep.Row(op).Count == 0 {
			t.Errorf("%s: no %s measured; report %+v", rep.Scenario, op, rep.Rows)
		}
	}
	if rep.Total.Count == 0 || rep.Total.PerSec <= 0 {
		t.Errorf("%s: total %+v", rep.Scenario, rep.Total)
	}
	if rep.Errors() == 0 {
		return
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if allowed == "" || !strings.Contains(line, allowed) {
			t.Errorf("%s: %d failed commands; stderr:\n%s", rep.Scenario, rep.Errors(), stderr)
			return
		}
	}
	t.Logf("%s: %d failed commands, all %q (known, see docs/benchmarks.md)", rep.Scenario, rep.Errors(), allowed)
}

var imapMixOps = []loadgen.Op{loadgen.OpSession, loadgen.OpConnect, loadgen.OpLogin, loadgen.OpSelect,
	loadgen.OpFetchFlags, loadgen.OpFetchBody, loadgen.OpLogout}

var pop3DropOps = []loadgen.Op{loadgen.OpSession, loadgen.OpPOP3Login, loadgen.OpUIDL, loadgen.OpRetr, loadgen.OpQuit}

// pop3InUse is the one failure tolerated from Ferrymail's POP3 server: it
// answers QUIT before it drops the maildrop lock (pop3/session.go serve),
// so a client that logs in again at once may be told [IN-USE]
// (RFC 2449 §8.1.1). A real client polls minutes apart; the load does not.
const pop3InUse = "[IN-USE]"

// TestBenchFerrymail: "ferrymail bench load" fills two accounts of a
// running Ferrymail, then "ferrymail bench" runs the IMAP mix, the POP3
// full drop and POP3 polling against it, and "bench compare" lines up the
// reports.
func TestBenchFerrymail(t *testing.T) {
	dir := t.TempDir()
	for i := 1; i <= benchUsers; i++ {
		mustSucceed(t, benchPassword+"\n", "user", "add", "--data", dir, fmt.Sprintf("bench%d", i))
	}
	p := startServe(t, dir)
	imap, pop3 := imapAddr(t, p), pop3Addr(t, p)
	out := mustSucceed(t, "", append([]string{"bench", "load", "--imap", imap, "--messages", "20"}, benchArgs()...)...)
	if !strings.Contains(out, "loaded 40 messages") {
		t.Fatalf("bench load said:\n%s", out)
	}

	imapRep, stderr := runBench(t, "--imap", imap)
	checkReport(t, imapRep, stderr, imapMixOps, "")
	drop, stderr := runBench(t, "--pop3", pop3, "--pop3-mode", "drop")
	checkReport(t, drop, stderr, pop3DropOps, pop3InUse)
	poll, stderr := runBench(t, "--pop3", pop3, "--pop3-mode", "poll")
	checkReport(t, poll, stderr, []loadgen.Op{loadgen.OpPOP3Login, loadgen.OpUIDL, loadgen.OpQuit}, pop3InUse)
	if poll.Row(loadgen.OpRetr).Count != 0 {
		t.Errorf("polling sent RETR")
	}
	// Every session of the drop fetched the whole mailbox: 20 messages,
	// plus those the IMAP mix added and minus those it expunged (about as
	// many), so surely more than 5.
	if s, r := drop.Row(loadgen.OpSession).Count, drop.Row(loadgen.OpRetr).Count; r < s*5 || drop.BytesPerSec <= 0 {
		t.Errorf("pop3 drop: %d RETR in %d sessions (%.0f bytes/s), want more than 5 a session", r, s, drop.BytesPerSec)
	}

	// The table form and the comparison of two sets of reports.
	table := mustSucceed(t, "", append([]string{"bench", "--imap", imap, "--duration", "1s", "--warmup", "0s"}, benchArgs()...)...)
	for _, want := range []string{"imap-mix against " + imap, "FETCH-BODY", "p99 ms", "TOTAL"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	reports := t.TempDir()
	for name, rep := range map[string]*loadgen.Report{"a-imap.json": imapRep, "a-drop.json": drop, "b-imap.json": imapRep, "b-drop.json": drop} {
		f, err := os.Create(filepath.Join(reports, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.WriteJSON(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	cmp := mustSucceed(t, "", "bench", "compare", "one="+filepath.Join(reports, "a-*.json"), "two="+filepath.Join(reports, "b-*.json"))
	for _, want := range []string{"imap-mix", "pop3-drop", "FETCH-BODY", "ops/s", "p99 ms", "1.00"} {
		if !strings.Contains(cmp, want) {
			t.Errorf("comparison lacks %q:\n%s", want, cmp)
		}
	}
	var c loadgen.Comparison
	if err := json.Unmarshal([]byte(mustSucceed(t, "", "bench", "compare", "--json", "one="+filepath.Join(reports, "a-*.json"), "two="+filepath.Join(reports, "b-*.json"))), &c); err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Figures {
		if f.A != f.B || (f.B != 0 && f.Ratio != 1) {
			t.Errorf("a report compared with itself: %+v", f)
		}
	}
	p.sigterm(t)
}

// TestBenchDovecot runs the same load against a real Dovecot: "ferrymail
// bench" is a load generator for any standard server.
func TestBenchDovecot(t *testing.T) {
	needDovecot(t)
	// Static passdb: every user logs in with password "pw".
	d := startDovecot(t, "maildir:~/Maildir", "")
	imap, pop3 := fmt.Sprintf("127.0.0.1:%d", d.imapPort), fmt.Sprintf("127.0.0.1:%d", d.pop3Port)
	args := []string{"--user-prefix", "bench", "--user-count", fmt.Sprint(benchUsers), "--password", "pw", "--clients", fmt.Sprint(benchUsers), "--seed", "7"}
	out := mustSucceed(t, "", append([]string{"bench", "load", "--imap", imap, "--messages", "20"}, args...)...)
	if !strings.Contains(out, "loaded 40 messages") {
		t.Fatalf("bench load said:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want []loadgen.Op
	}{
		{[]string{"--imap", imap}, imapMixOps},
		{[]string{"--pop3", pop3, "--pop3-mode", "drop"}, pop3DropOps},
		{[]string{"--pop3", pop3, "--pop3-mode", "poll"}, []loadgen.Op{loadgen.OpPOP3Login, loadgen.OpUIDL, loadgen.OpQuit}},
	} {
		r := ferrymail(t, "", append(append([]string{"bench"}, args...), append(tc.args, "--duration", "2s", "--warmup", "300ms", "--idle", "20ms", "--json")...)...)
		if r.code != 0 {
			t.Fatalf("ferrymail bench %q: exit %d; stderr:\n%s", tc.args, r.code, r.stderr)
		}
		rep, err := loadgen.ReadReport(strings.NewReader(r.stdout))
		if err != nil {
			t.Fatal(err)
		}
		checkReport(t, rep, r.stderr, tc.want, "")
	}
}

// TestBenchFerrymailTLS: the load generator reaches a server over implicit
// TLS (IMAPS, POP3S) and STARTTLS/STLS, with Ferrymail's self-signed
// certificate accepted only when --insecure-skip-verify says so.
func TestBenchFerrymailTLS(t *testing.T) {
	dir := t.TempDir()
	mustSucceed(t, benchPassword+"\n", "user", "add", "--data", dir, "bench1")
	p := startServe(t, dir, "--imaps", "127.0.0.1:0", "--pop3s", "127.0.0.1:0")
	addr := func(service string) string { return serviceAddr(t, p, service) }
	one := []string{"--user-prefix", "bench", "--user-count", "1", "--password", benchPassword, "--clients", "1",
		"--duration", "1s", "--warmup", "0s", "--idle", "20ms", "--json"}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"IMAPS", []string{"--imap", addr("imaps"), "--tls", "implicit"}},
		{"IMAP STARTTLS", []string{"--imap", imapAddr(t, p), "--tls", "starttls"}},
		{"POP3S", []string{"--pop3", addr("pop3s"), "--tls", "implicit"}},
		{"POP3 STLS", []string{"--pop3", pop3Addr(t, p), "--tls", "starttls"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Without --insecure-skip-verify the self-signed certificate
			// is refused: nothing succeeds, exit 1.
			r := ferrymail(t, "", append(append([]string{"bench"}, tc.args...), one...)...)
			if r.code != 1 || !strings.Contains(r.stderr, "certificate") {
				t.Errorf("unverified certificate: exit %d, stderr:\n%s", r.code, r.stderr)
			}
			r = ferrymail(t, "", append(append([]string{"bench", "--insecure-skip-verify"}, tc.args...), one...)...)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			rep, err := loadgen.ReadReport(strings.NewReader(r.stdout))
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep, r.stderr, []loadgen.Op{loadgen.OpConnect, loadgen.OpSession}, pop3InUse)
		})
	}
	p.sigterm(t)
}
