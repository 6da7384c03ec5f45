// Package batch imports many accounts from a batch file: a CSV with one
// row per source account (protocol, host, TLS, source user, password file,
// target user, and optional per-row options), run with bounded
// parallelism. Each account's outcome is one summary line, printed as it
// finishes; a failed account never stops the others.
//
// Resuming: a state file records each account that finished without
// error (one JSON line, synced, per account). A re-run after a crash or
// Ctrl-C skips those and runs the rest: the failed, the interrupted and
// the never started. Without the state file a re-run would still be cheap,
// as every import is a delta, but it would connect to every source again.
//
// Rows for one target user run one after another in file order (an IMAP
// import of INBOX, then the POP3 attach of its UIDLs, must not overlap);
// different target users run in parallel.
//
// The package does not run imports itself: Options.Import does (the
// command line passes the admin API, so that the batch works with and
// without a running server).
package batch

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ferrymail/ferrymail/importer"
)

// Protocols of a batch row.
const (
	ProtocolIMAP = "imap"
	ProtocolPOP3 = "pop3"
)

// Account is one row of the batch file, checked.
type Account struct {
	Line         int    // in the batch file
	Protocol     string // ProtocolIMAP or ProtocolPOP3
	Host         string // HOST:PORT
	TLS          string // none, starttls or implicit
	SourceUser   string
	PasswordFile string // absolute
	TargetUser   string

	DryRun             bool
	ExpungeMissing     bool
	InsecureSkipVerify bool
	AttachUIDLs        bool // pop3 only: attach UIDLs to the IMAP-imported INBOX
}

// Key names the account in summaries and the state file.
func (a Account) Key() string {
	k := fmt.Sprintf("%s://%s@%s -> %s", a.Protocol, a.SourceUser, a.Host, a.TargetUser)
	if a.AttachUIDLs {
		k += " (attach UIDLs)"
	}
	return k
}

// DefaultParallel is how many accounts import at once unless told: legacy
// servers limit connections per client address, and the store's writes
// are shared by all.
const DefaultParallel = 4

// Options configure Run.
type Options struct {
	Parallel int    // 0: DefaultParallel
	State    *State // nil: nothing recorded, nothing skipped
	// Import imports one account. Its report's failures and stopped
	// mailboxes count as errors of the account, as its error does.
	Import func(ctx context.Context, a Account) (*importer.Report, error)
	// Finished is called as each account finishes (or is skipped as done
	// before), one call at a time.
	Finished func(Result)
}

// Result is what happened to one account.
type Result struct {
	Account    Account
	DoneBefore bool // the state file says it finished in an earlier run
	Report     *importer.Report
	Err        error // the import could not run, or was stopped, or the report has failures
	Duration   time.Duration
}

// OK reports whether the account finished without an error.
func (r Result) OK() bool { return r.Err == nil }

// Summary is one line describing r.
func (r Result) Summary() string {
	where := fmt.Sprintf("line %d %s", r.Account.Line, r.Account.Key())
	if r.DoneBefore {
		return where + ": done in an earlier run (state file), skipped"
	}
	var imported, skipped, failed int
	if r.Report != nil {
		imported, skipped, failed, _ = r.Report.Totals()
		for _, m := range r.Report.Mailboxes {
			if m.Err != nil {
				failed++
			}
		}
	}
	if r.Err != nil && failed == 0 {
		failed = 1
	}
	status := "ok"
	if r.Err != nil {
		status = "FAILED: " + oneLine(r.Err.Error())
	}
	dry := ""
	if r.Account.DryRun {
		dry = " (dry run)"
	}
	line := fmt.Sprintf("%s: %s%s; %d imported, %d skipped, %d errors, %s", where, status, dry, imported, skipped, failed,
		r.Duration.Round(time.Millisecond))
	if r.Account.AttachUIDLs && r.Report != nil {
		// What an attach did is in its note (pop3src.Source.AttachUIDLs).
		for _, m := range r.Report.Mailboxes {
			for _, n := range m.Notes {
				if strings.HasPrefix(n, "POP3 UIDLs ") {
					line += "; " + n
				}
			}
		}
	}
	return line
}

// Run imports the accounts, at most opts.Parallel at a time, and returns
// every account's result in file order. Cancelling ctx stops the imports
// under way (they are not recorded as done, so a re-run resumes them) and
// starts no more; their results carry ctx's error.
func Run(ctx context.Context, accounts []Account, opts Options) []Result {
	par := opts.Parallel
	if par <= 0 {
		par = DefaultParallel
	}
	results := make([]Result, len(accounts))
	finished := make([]bool, len(accounts))
	// Groups of rows with one target user, in file order.
	var groups [][]int
	groupOf := map[string]int{}
	for i, a := range accounts {
		g, ok := groupOf[a.TargetUser]
		if !ok {
			g = len(groups)
			groupOf[a.TargetUser] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	var report sync.Mutex
	finish := func(i int, r Result) {
		report.Lock()
		defer report.Unlock()
		results[i], finished[i] = r, true
		if opts.Finished != nil {
			opts.Finished(r)
		}
	}
	next := make(chan []int)
	var wg sync.WaitGroup
	for range min(par, len(groups)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range next {
				for _, i := range g {
					finish(i, runOne(ctx, accounts[i], opts))
				}
			}
		}()
	}
	for _, g := range groups {
		if ctx.Err() != nil {
			break
		}
		select {
		case next <- g:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	for i, a := range accounts {
		if !finished[i] {
			results[i] = Result{Account: a, Err: fmt.Errorf("not started: %w", ctx.Err())}
		}
	}
	return results
}

// runOne imports one account, unless the state file has it as done.
func runOne(ctx context.Context, a Account, opts Options) Result {
	r := Result{Account: a}
	if opts.State != nil && opts.State.Done(a.Key()) {
		r.DoneBefore = true
		return r
	}
	if err := ctx.Err(); err != nil {
		r.Err = fmt.Errorf("not started: %w", err)
		return r
	}
	start := time.Now()
	r.Report, r.Err = opts.Import(ctx, a)
	r.Duration = time.Since(start)
	if r.Err == nil && r.Report != nil && !r.Report.OK() {
		_, _, failed, _ := r.Report.Totals()
		r.Err = fmt.Errorf("%d messages not imported or mailboxes stopped (see the report)", max(failed, 1))
	}
	if r.Err == nil && r.Report == nil {
		r.Err = fmt.Errorf("the import returned no report")
	}
	if r.Err == nil && !a.DryRun && opts.State != nil {
		if err := opts.State.Record(a.Key(), r.Report); err != nil {
			r.Err = fmt.Errorf("imported, but recording it in the state file failed (a re-run does it again, as a delta): %w", err)
		}
	}
	return r
}

func oneLine(s string) string {
	out := make([]rune, 0, len(s))
	space := false
	for _, c := range s {
		if c == '\n' || c == '\r' || c == '\t' || c == ' ' {
			space = true
			continue
		}
		if space && len(out) > 0 {
			out = append(out, ' ')
		}
		space = false
		out = append(out, c)
	}
	return string(out)
}
