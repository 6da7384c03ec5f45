package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/uidl"
	"github.com/ferrymail/ferrymail/server/admin"
	"github.com/ferrymail/ferrymail/store"
)

// importFlags are the flags every "import" subcommand takes.
type importFlags struct {
	commonFlags
	to         string
	uidlScheme string
	renumber   bool
	fillGaps   bool
	dryRun     bool
}

func newImportFlagSet(cmd *command, f *importFlags) *flag.FlagSet {
	fs := newFlagSet(cmd, &f.commonFlags)
	fs.StringVar(&f.to, "to", "", "the Ferrymail user to import into")
	fs.StringVar(&f.uidlScheme, "uidl-scheme", "", "the legacy server's POP3 UIDL scheme: dovecot, uw, cyrus, courier, xuidl, md5 or a template (%u %v %f %g %m)")
	fs.BoolVar(&f.renumber, "renumber", false, "import a mailbox in conflict with new UIDs (its clients download it again)")
	fs.BoolVar(&f.fillGaps, "fill-gaps", false, "accept source UIDs below UIDs this server assigned itself, where never used")
	fs.BoolVar(&f.dryRun, "dry-run", false, "read the source and say what would be imported, writing nothing")
	return fs
}

// options checks the flags and returns the importer's options.
func (f *importFlags) options(cmd *command) (importer.Options, error) {
	var opts importer.Options
	if f.to == "" {
		return opts, usageErrorf("%s: --to USER is required", cmd.name)
	}
	if f.uidlScheme != "" {
		sc, err := uidl.Parse(f.uidlScheme)
		if err != nil {
			return opts, usageErrorf("%s: --uidl-scheme: %v", cmd.name, err)
		}
		opts.UIDLScheme = sc
	}
	opts.Renumber, opts.FillGaps, opts.DryRun = f.renumber, f.fillGaps, f.dryRun
	return opts, nil
}

// runImport opens the store, runs the import and prints the report. It
// fails when anything was not imported, after naming it in the report.
func runImport(ctx context.Context, e *env, f *importFlags, opts importer.Options, src importer.Source) error {
	st, err := openForImport(ctx, e, f.dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	acc, err := st.Account(ctx, f.to)
	if err != nil {
		return fmt.Errorf("importing into %q: %w (create it with \"ferrymail user add\")", f.to, err)
	}
	opts.Progress = progressPrinter(e)
	rep, err := importer.Run(ctx, st, acc.ID, src, opts)
	if rep != nil {
		rep.Write(e.stdout)
	}
	if cerr := st.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing data directory %s: %w", f.dataDir, cerr)
	}
	if err != nil {
		return err
	}
	if !rep.OK() {
		_, _, failed, _ := rep.Totals()
		stopped := 0
		for _, m := range rep.Mailboxes {
			if m.Err != nil {
				stopped++
			}
		}
		return fmt.Errorf("import incomplete: %d messages not imported, %d mailboxes stopped (the report above names each and why)", failed, stopped)
	}
	return nil
}

// openForImport opens the store itself. The importer writes through the
// store directly; while "ferrymail serve" holds the data directory, it
// refuses with a message saying what to do.
func openForImport(ctx context.Context, e *env, dataDir string) (*store.Store, error) {
	if _, err := os.Stat(dataDir); err != nil {
		return nil, fmt.Errorf("data directory %s: %w (create a user first with \"ferrymail user add\")", dataDir, err)
	}
	st, err := store.Open(ctx, dataDir, store.Options{Logger: cliLogger(e), GCInterval: -1})
	if errors.Is(err, store.ErrLocked) {
		if c, derr := admin.Dial(ctx, admin.SocketPath(dataDir)); derr == nil {
			c.Close()
			return nil, fmt.Errorf("ferrymail serve is running on %s: stop it, run the import, and start it again (importing through a running server is not supported yet)", dataDir)
		}
		return nil, fmt.Errorf("data directory %s is in use by another process (another import?)", dataDir)
	}
	return st, err
}

// progressPrinter reports progress on stderr: one line rewritten in place
// on a terminal, otherwise a plain line every progressEvery messages (so a
// small import that succeeds prints nothing on stderr).
func progressPrinter(e *env) func(importer.Progress) {
	const progressEvery = 10000
	f, ok := e.stderr.(*os.File)
	tty := ok && term.IsTerminal(int(f.Fd()))
	var w io.Writer = e.stderr
	start := time.Now()
	lastLine := 0
	return func(p importer.Progress) {
		rate := float64(p.Imported) / max(time.Since(start).Seconds(), 0.001)
		line := fmt.Sprintf("%s: %d read, %d imported (%.1f MB), %d already there, %.0f msg/s",
			p.Mailbox, p.Read, p.Imported, float64(p.Bytes)/1e6, p.Skipped, rate)
		switch {
		case tty:
			fmt.Fprintf(w, "\r\033[K%s", line)
			if p.Done {
				fmt.Fprintln(w)
				start = time.Now()
			}
		case p.Done:
			// The report on stdout says the rest.
			lastLine = 0
			start = time.Now()
		case p.Read/progressEvery > lastLine:
			lastLine = p.Read / progressEvery
			fmt.Fprintln(w, line)
		}
	}
}
