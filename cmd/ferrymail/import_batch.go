package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/batch"
	"github.com/ferrymail/ferrymail/server/admin"
)

// maxDetailLines bounds the lines of a failed account's report printed
// under its summary line: enough to say why, not the whole report.
const maxDetailLines = 5

// runImportBatch: ferrymail import batch [--data DIR] [--parallel N] [--state FILE] CSVFILE
//
// Imports every account of a batch file (see package importer/batch for the
// columns), at most N at a time, through the data directory's admin API (a
// running server, or the store opened here), printing one summary line per
// account as it finishes. Accounts recorded as finished in the state file
// (default CSVFILE.state) are skipped, so a run stopped by a crash or
// Ctrl-C is resumed by running the same command again.
func runImportBatch(ctx context.Context, e *env, cmd *command, args []string) error {
	var f commonFlags
	fs := newFlagSet(cmd, &f)
	parallel := fs.Int("parallel", batch.DefaultParallel, "how many accounts to import at once")
	statePath := fs.String("state", "", "the file that records finished accounts (default CSVFILE.state)")
	pos, err := parseExactly(cmd, fs, args, 1)
	if err != nil {
		return err
	}
	if *parallel < 1 || *parallel > 256 {
		return usageErrorf("%s: --parallel %d: want 1 to 256", cmd.name, *parallel)
	}
	csvPath, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	in, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	accounts, err := batch.Parse(in, pos[0], filepath.Dir(csvPath))
	in.Close()
	if err != nil {
		return fmt.Errorf("the batch file has errors, nothing was imported:\n%w", err)
	}
	if _, err := os.Stat(f.dataDir); err != nil {
		return fmt.Errorf("data directory %s: %w (create the users first with \"ferrymail user add\" or \"ferrymail user import\")", f.dataDir, err)
	}
	if *statePath == "" {
		*statePath = csvPath + ".state"
	}
	state, err := batch.OpenState(*statePath)
	if err != nil {
		return err
	}
	defer state.Close()

	return withAdmin(ctx, e, f.dataDir, admin.OpenOptions{}, func(api admin.API) error {
		if err := checkTargets(ctx, api, pos[0], accounts); err != nil {
			return err
		}
		if n := state.Count(); n > 0 {
			fmt.Fprintf(e.stdout, "resuming: %s records %d finished accounts, skipped below\n", *statePath, n)
		}
		start := time.Now()
		results := batch.Run(ctx, accounts, batch.Options{
			Parallel: *parallel,
			State:    state,
			Import:   batchImporter(f.dataDir, api),
			Finished: func(r batch.Result) { printBatchResult(e, r) },
		})
		var ok, failed, before, imported int
		for _, r := range results {
			switch {
			case r.DoneBefore:
				before++
			case r.OK():
				ok++
			default:
				failed++
			}
			if r.Report != nil {
				n, _, _, _ := r.Report.Totals()
				imported += n
			}
		}
		fmt.Fprintf(e.stdout, "batch: %d accounts: %d ok, %d failed, %d done in an earlier run; %d messages imported in %s\n",
			len(results), ok, failed, before, imported, time.Since(start).Round(time.Millisecond))
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted: run the same command again to resume (%s records what finished)", *statePath)
		}
		if failed > 0 {
			return fmt.Errorf("%d of %d accounts failed (the lines above say why); run the same command again to retry them", failed, len(results))
		}
		return nil
	})
}

// checkTargets fails, naming the lines, when target users do not exist:
// caught before anything runs, like the batch file's own errors.
func checkTargets(ctx context.Context, api admin.API, name string, accounts []batch.Account) error {
	users, err := api.Users(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, u := range users {
		known[strings.ToLower(u.Name)] = true
	}
	var bad []string
	for _, a := range accounts {
		if !known[strings.ToLower(a.TargetUser)] {
			bad = append(bad, fmt.Sprintf("%s:%d: target_user %q is not a Ferrymail user", name, a.Line, a.TargetUser))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("the batch file has errors, nothing was imported (create the users first):\n%s", strings.Join(bad, "\n"))
	}
	return nil
}

// batchImporter imports one account through the admin API. Through a
// running server each import has its own admin connection: a Client sends
// one request at a time, and the imports are to run side by side. The
// local store is shared (it is safe for concurrent use).
func batchImporter(dataDir string, api admin.API) func(context.Context, batch.Account) (*importer.Report, error) {
	_, remote := api.(*admin.Client)
	return func(ctx context.Context, a batch.Account) (*importer.Report, error) {
		req := admin.ImportRequest{Format: a.Protocol, User: a.TargetUser, DryRun: a.DryRun,
			Host: a.Host, RemoteUser: a.SourceUser, PasswordFile: a.PasswordFile, TLS: a.TLS,
			InsecureSkipVerify: a.InsecureSkipVerify, ExpungeMissing: a.ExpungeMissing, AttachUIDLs: a.AttachUIDLs}
		if !remote {
			return api.Import(ctx, req, nil)
		}
		c, err := admin.Dial(ctx, admin.SocketPath(dataDir))
		if err != nil {
			return nil, fmt.Errorf("connecting to the running server's admin socket: %w", err)
		}
		defer c.Close()
		return c.Import(ctx, req, nil)
	}
}

// printBatchResult prints an account's summary line and, for a failed
// one, the first lines of its report that say why.
func printBatchResult(e *env, r batch.Result) {
	fmt.Fprintln(e.stdout, r.Summary())
	if r.OK() || r.Report == nil || errors.Is(r.Err, context.Canceled) {
		return
	}
	var details []string
	for _, m := range r.Report.Mailboxes {
		if m.Err != nil {
			details = append(details, fmt.Sprintf("%s: STOPPED: %v", m.Source, m.Err))
		}
		for _, fl := range m.Failures {
			details = append(details, fmt.Sprintf("%s: %s", fl.Where, fl.Reason))
		}
	}
	for i, d := range details {
		if i == maxDetailLines {
			fmt.Fprintf(e.stdout, "    … and %d more\n", len(details)-i)
			break
		}
		fmt.Fprintf(e.stdout, "    %s\n", strings.Join(strings.Fields(d), " "))
	}
}
