package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
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

// request checks the flags and returns the import request for the source
// at path, in the given format. The path is made absolute here: a running
// server (same user, same machine) opens it from another working
// directory.
func (f *importFlags) request(cmd *command, format, path string) (admin.ImportRequest, error) {
	req := admin.ImportRequest{Format: format, User: f.to, UIDLScheme: f.uidlScheme,
		Renumber: f.renumber, FillGaps: f.fillGaps, DryRun: f.dryRun}
	if f.to == "" {
		return req, usageErrorf("%s: --to USER is required", cmd.name)
	}
	if f.uidlScheme != "" {
		if _, err := uidl.Parse(f.uidlScheme); err != nil {
			return req, usageErrorf("%s: --uidl-scheme: %v", cmd.name, err)
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return req, fmt.Errorf("%s: %w", path, err)
	}
	req.Path = abs
	return req, nil
}

// runImport runs the import through the data directory's admin API: in
// the running server when there is one (its IMAP and POP3 sessions see the
// new messages), else on the store opened here. It prints the report and
// fails when anything was not imported, after naming it in the report.
func runImport(ctx context.Context, e *env, f *importFlags, req admin.ImportRequest) error {
	if _, err := os.Stat(f.dataDir); err != nil {
		return fmt.Errorf("data directory %s: %w (create a user first with \"ferrymail user add\")", f.dataDir, err)
	}
	var rep *importer.Report
	err := withAdmin(ctx, e, f.dataDir, admin.OpenOptions{}, func(api admin.API) error {
		progress := newProgressPrinter(e)
		defer progress.close()
		var err error
		rep, err = api.Import(ctx, req, progress.update)
		return err
	})
	if rep != nil {
		rep.Write(e.stdout)
	}
	if errors.Is(err, store.ErrAccountNotFound) {
		return fmt.Errorf("%w (create it with \"ferrymail user add\")", err)
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

// progressEvery is how many messages apart the plain progress lines are
// (so a small import that succeeds prints nothing on stderr).
const progressEvery = 10000

// progressPrinter reports progress on stderr: a progress bar per mailbox
// on a terminal, otherwise a plain line every progressEvery messages. It is
// fed by the importer's Progress callback, locally or through the socket.
type progressPrinter struct {
	w        io.Writer
	tty      bool
	bar      *progressbar.ProgressBar // the mailbox being imported, on a terminal
	mailbox  string
	start    time.Time
	lastLine int
}

func newProgressPrinter(e *env) *progressPrinter {
	f, ok := e.stderr.(*os.File)
	return &progressPrinter{w: e.stderr, tty: ok && term.IsTerminal(int(f.Fd())), start: time.Now()}
}

func (pp *progressPrinter) update(p importer.Progress) {
	if pp.tty {
		pp.updateBar(p)
		return
	}
	switch {
	case p.Done:
		// The report on stdout says the rest.
		pp.lastLine = 0
		pp.start = time.Now()
	case p.Read/progressEvery > pp.lastLine:
		pp.lastLine = p.Read / progressEvery
		fmt.Fprintln(pp.w, pp.line(p))
	}
}

// line describes p, with the rate since the mailbox began.
func (pp *progressPrinter) line(p importer.Progress) string {
	rate := float64(p.Imported) / max(time.Since(pp.start).Seconds(), 0.001)
	return fmt.Sprintf("%s: %d read, %d imported (%.1f MB), %d already there, %.0f msg/s",
		p.Mailbox, p.Read, p.Imported, float64(p.Bytes)/1e6, p.Skipped, rate)
}

// updateBar draws p on the mailbox's bar. The number of messages in a
// mailbox is not known ahead, so the bar counts with a spinner, and is
// drawn full when the mailbox is done.
func (pp *progressPrinter) updateBar(p importer.Progress) {
	if pp.bar == nil || p.Mailbox != pp.mailbox {
		pp.close()
		pp.mailbox = p.Mailbox
		// The library's own count and rate are of the spinner's steps
		// while the length is unknown: the description carries ours.
		pp.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(pp.w),
			progressbar.OptionSetDescription(p.Mailbox),
			progressbar.OptionSetWidth(20),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(pp.w) }),
		)
	}
	pp.bar.Describe(pp.line(p))
	pp.bar.Set(p.Read)
	if p.Done {
		if p.Read > 0 {
			pp.bar.ChangeMax(p.Read)
			pp.bar.Finish() // draws the full bar and ends the line
		} else {
			pp.bar.Exit() // calls OnCompletion: ends the line
		}
		pp.bar = nil
		pp.start = time.Now() // for the next mailbox
	}
}

// close ends a bar left unfinished (the import stopped), keeping what it
// shows.
func (pp *progressPrinter) close() {
	if pp.bar != nil {
		pp.bar.Exit() // calls OnCompletion: ends the line
		pp.bar = nil
	}
}
