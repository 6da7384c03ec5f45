// Command scale measures Ferrymail and Dovecot side by side on one large
// generated mailbox (issue 8, "Scale"): it generates N messages (default
// 1,000,000; realistic sizes and headers, generate.go), loads them into a
// Ferrymail store through store.Import and into a Dovecot Maildir with a
// dovecot-uidlist, then starts each server on loopback in turn and times
// SELECT, UID FETCH 1:* (FLAGS), UID SEARCH HEADER and BODY, and the
// resident memory with many IDLE connections. It prints one table with the
// ratio of each figure.
//
//	go run ./bench/scale -n 100000            # about 10 minutes on 2 cores
//	go run ./bench/scale -dir /var/tmp/scale -keep -n 1000000
//
// With -dir and -keep the loaded data stay, and a later run with the same
// -n and -seed measures again without loading. Dovecot must be installed
// (Debian's dovecot-imapd); run as root, it serves as the dovecot user.
// See docs/benchmarks.md, "Scale", for the figures of the last run.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	n := flag.Uint("n", 1_000_000, "messages in the big mailbox")
	idle := flag.Int("idle", 1000, "IDLE connections on a small mailbox while memory is measured")
	selectedIdle := flag.Int("selected-idle", 10, "further IDLE connections with the big mailbox selected")
	bodyLimit := flag.Uint("body-max", 100_000, "BODY search covers UIDs 1..min(n, body-max)")
	repeats := flag.Int("repeats", 3, "runs of SELECT and FETCH FLAGS; the median is reported")
	seed := flag.Uint64("seed", 1, "generator seed")
	dir := flag.String("dir", "", "work directory (default: a new one under the system temp directory)")
	keep := flag.Bool("keep", false, "keep the work directory (and reuse its data on the next run)")
	binary := flag.String("ferrymail", "", "ferrymail binary (default: go build ./cmd/ferrymail)")
	timeout := flag.Duration("timeout", 30*time.Minute, "bound on each command and on loading")
	only := flag.String("only", "", `measure only "ferrymail" or "dovecot"`)
	// Go runs a forced GC every 2 minutes when idle; after it the heap
	// left over from the logins can be returned to the kernel.
	settle := flag.Duration("settle", 150*time.Second, "wait before the second memory reading")
	flag.Parse()
	p := plan{n: uint32(*n), bodyLimit: uint32(min(*n, *bodyLimit)), repeats: max(*repeats, 1),
		idle: *idle, selectedIdle: *selectedIdle, timeout: *timeout, settle: *settle}
	if err := run(p, *seed, *dir, *keep, *binary, *only, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(p plan, seed uint64, dir string, keep bool, binary, only string, out io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	if err := raiseFileLimit(p.idle + p.selectedIdle); err != nil {
		return err
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "ferrymail-scale-")
		if err != nil {
			return err
		}
		dir = d
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	// Dovecot's processes (the dovecot user) must reach their directory.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if binary == "" {
		binary = filepath.Join(dir, "ferrymail")
		logf("building %s", binary)
		if o, err := exec.Command("go", "build", "-o", binary, "./cmd/ferrymail").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, o)
		}
	}
	dc, err := newDovecot(filepath.Join(dir, "dovecot"), p.idle+p.selectedIdle)
	if err != nil {
		return err
	}
	dataDir := filepath.Join(dir, "ferrymail-data")
	var lt loadTimes
	marker := filepath.Join(dir, fmt.Sprintf("loaded-n%d-seed%d", p.n, seed))
	if _, err := os.Stat(marker); err == nil {
		logf("reusing the data loaded in %s", dir)
	} else {
		logf("loading %d messages into both servers' data", p.n)
		if lt, err = load(p.n, seed, dataDir, dc, p.timeout); err != nil {
			return err
		}
		logf("loaded %.0f MiB in %v (Maildir written in %v, store.Import done after %v)",
			float64(lt.bytes)/(1<<20), lt.total.Round(time.Second), lt.maildirWrite.Round(time.Second), lt.ferryImport.Round(time.Second))
		if err := os.WriteFile(marker, nil, 0o644); err != nil {
			return err
		}
	}
	var fy, dy *figures
	if only != "dovecot" {
		logf("Ferrymail:")
		f, err := startFerry(binary, dataDir, dir)
		if err != nil {
			return err
		}
		r, err := measure(f.addr(), f.pid(), p, logf)
		f.stop()
		if err != nil {
			return fmt.Errorf("ferrymail: %w\n%s", err, f.logTail())
		}
		fy = &r
	}
	if only != "ferrymail" {
		logf("Dovecot:")
		if err := dc.start(); err != nil {
			return err
		}
		r, err := measure(dc.addr(), dc.masterPID(), p, logf)
		dc.stop()
		if err != nil {
			printTable(out, p, lt, fy, nil) // what was measured is not lost
			return fmt.Errorf("dovecot: %w\n%s", err, dc.logTail())
		}
		dy = &r
	}
	printTable(out, p, lt, fy, dy)
	return nil
}

// load fills the big mailbox (INBOX) and the small one the IDLE
// connections select (Idle, 100 messages) in both servers' data.
func load(n uint32, seed uint64, dataDir string, dc *dovecot, timeout time.Duration) (loadTimes, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := openStore(ctx, dataDir)
	if err != nil {
		return loadTimes{}, err
	}
	defer st.Close()
	acct, err := st.CreateAccount(ctx, userName, userPassword)
	if err != nil {
		return loadTimes{}, err
	}
	lt, err := loadMailbox(ctx, st, acct.ID, "INBOX", dc.maildir("INBOX"), n, seed, dc.own)
	if err != nil {
		return lt, err
	}
	if _, err := loadMailbox(ctx, st, acct.ID, "Idle", dc.maildir("Idle"), 100, seed+1, dc.own); err != nil {
		return lt, err
	}
	return lt, st.Close()
}

// raiseFileLimit lifts the soft limit on open files to the hard one: the
// client end of every IDLE connection is a file here, and Dovecot's master
// (started from here) inherits the limit.
func raiseFileLimit(conns int) error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	if need := uint64(2*conns + 200); l.Cur < need {
		return fmt.Errorf("open-file limit %d is below the %d that %d connections need (ulimit -Hn)", l.Cur, need, conns)
	}
	return nil
}
