package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/importer"
)

func accounts(n int, users int) []Account {
	var out []Account
	for i := range n {
		out = append(out, Account{Line: i + 2, Protocol: ProtocolPOP3, Host: "h:110", TLS: "none",
			SourceUser: fmt.Sprint("src", i), PasswordFile: "/pw", TargetUser: fmt.Sprint("user", i%users)})
	}
	return out
}

func report(imported, skipped int, failures int) *importer.Report {
	mr := &importer.MailboxReport{Source: "s", Target: "INBOX", Imported: imported, Skipped: skipped}
	for range failures {
		mr.Failures = append(mr.Failures, importer.Failure{Where: "x", Reason: "y"})
	}
	return &importer.Report{Mailboxes: []*importer.MailboxReport{mr}}
}

// At most Parallel imports run at once; a failed account (error or
// failures in its report) does not stop the others; each gets one summary
// line; rows of one target user never overlap and keep file order.
func TestRunParallelAndFailures(t *testing.T) {
	accs := accounts(12, 6)
	var running, peak atomic.Int32
	var mu sync.Mutex
	busy := map[string]bool{}
	var order []int
	var lines []string
	res := Run(context.Background(), accs, Options{
		Parallel: 3,
		Import: func(ctx context.Context, a Account) (*importer.Report, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			mu.Lock()
			if busy[a.TargetUser] {
				t.Errorf("two imports into %s at once", a.TargetUser)
			}
			busy[a.TargetUser] = true
			order = append(order, a.Line)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			busy[a.TargetUser] = false
			mu.Unlock()
			switch a.Line {
			case 4:
				return nil, errors.New("connecting to h:110: connection refused")
			case 7:
				return report(3, 0, 2), nil
			}
			return report(10, 1, 0), nil
		},
		Finished: func(r Result) { lines = append(lines, r.Summary()) },
	})
	if p := peak.Load(); p > 3 || p < 1 {
		t.Errorf("peak parallelism %d, want 1..3", p)
	}
	if len(lines) != 12 || len(res) != 12 {
		t.Fatalf("%d summary lines, %d results; want 12 each", len(lines), len(res))
	}
	for i, r := range res {
		wantOK := r.Account.Line != 4 && r.Account.Line != 7
		if r.OK() != wantOK || r.Account != accs[i] {
			t.Errorf("result %d (line %d): ok %v, want %v", i, r.Account.Line, r.OK(), wantOK)
		}
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{
		"line 4 pop3://src2@h:110 -> user2: FAILED: connecting to h:110: connection refused; 0 imported, 0 skipped, 1 errors, ",
		"line 7 pop3://src5@h:110 -> user5: FAILED: 2 messages not imported or mailboxes stopped (see the report); 3 imported, 0 skipped, 2 errors, ",
		"line 2 pop3://src0@h:110 -> user0: ok; 10 imported, 1 skipped, 0 errors, ",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("summaries lack %q:\n%s", want, all)
		}
	}
	// Rows of one user (lines 2 and 8 are user0) in file order.
	pos := map[int]int{}
	for i, l := range order {
		pos[l] = i
	}
	for l := 2; l+6 <= 13; l++ {
		if pos[l] > pos[l+6] {
			t.Errorf("line %d ran before line %d of the same user", l+6, l)
		}
	}
}

// Resume: the state file records finished accounts; a second run skips
// them and runs the failed one and those not started when the first run
// was cancelled (Ctrl-C).
func TestRunResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	accs := accounts(6, 6)
	st, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	res := Run(ctx, accs, Options{Parallel: 1, State: st, Import: func(ctx context.Context, a Account) (*importer.Report, error) {
		calls.Add(1)
		switch a.Line {
		case 3:
			return nil, errors.New("login failed")
		case 4:
			cancel() // Ctrl-C while this one runs
			<-ctx.Done()
			return report(1, 0, 0), ctx.Err()
		}
		return report(5, 0, 0), nil
	}})
	if n := calls.Load(); n != 3 {
		t.Errorf("first run: %d imports, want 3 (lines 2-4, then cancelled)", n)
	}
	for _, r := range res[3:] {
		if r.OK() || !errors.Is(r.Err, context.Canceled) {
			t.Errorf("line %d after the cancel: %v, want not started", r.Account.Line, r.Err)
		}
	}
	st.Close()

	// A torn last line, as a crash mid-write leaves it.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"key":"pop3://src5@h:110 -> us`)
	f.Close()

	st, err = OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Count() != 1 {
		t.Errorf("the state file records %d accounts, want 1 (line 2)", st.Count())
	}
	res = Run(context.Background(), accs, Options{Parallel: 2, State: st, Import: func(ctx context.Context, a Account) (*importer.Report, error) {
		return report(0, 5, 0), nil
	}})
	for _, r := range res {
		if !r.OK() {
			t.Errorf("second run, line %d: %v", r.Account.Line, r.Err)
		}
		if r.DoneBefore != (r.Account.Line == 2) {
			t.Errorf("second run, line %d: done before = %v", r.Account.Line, r.DoneBefore)
		}
	}
	if !strings.Contains(res[0].Summary(), "done in an earlier run (state file), skipped") {
		t.Errorf("summary of a done account: %q", res[0].Summary())
	}
	if st.Count() != 6 {
		t.Errorf("after the second run the state file records %d accounts, want 6", st.Count())
	}
}

// A dry run is never recorded as done.
func TestRunDryRunNotRecorded(t *testing.T) {
	st, err := OpenState(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	accs := accounts(1, 1)
	accs[0].DryRun = true
	res := Run(context.Background(), accs, Options{State: st, Import: func(context.Context, Account) (*importer.Report, error) {
		r := report(4, 0, 0)
		r.DryRun = true
		return r, nil
	}})
	if !res[0].OK() || st.Count() != 0 || !strings.Contains(res[0].Summary(), "ok (dry run)") {
		t.Errorf("dry run: ok %v, recorded %d, summary %q", res[0].OK(), st.Count(), res[0].Summary())
	}
}
