package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// printTable prints each figure for both servers and the ratio
// Ferrymail/Dovecot (below 1: Ferrymail is faster or smaller).
func printTable(w io.Writer, p plan, lt loadTimes, f, d *figures) {
	fmt.Fprintf(w, "\nScale: INBOX of %d messages; %d IDLE connections on a 100-message mailbox, %d more on INBOX; %d cores, %s\n",
		p.n, p.idle, p.selectedIdle, runtime.NumCPU(), runtime.Version())
	if lt.total > 0 {
		fmt.Fprintf(w, "load: %.0f MiB generated; Maildir written in %v; store.Import finished after %v (concurrently)\n",
			float64(lt.bytes)/(1<<20), lt.maildirWrite.Round(time.Second), lt.ferryImport.Round(time.Second))
	}
	fmt.Fprintf(w, "\n| %-52s | %12s | %12s | %7s |\n", "figure", "Ferrymail", "Dovecot", "F/D")
	fmt.Fprintf(w, "|%s|%s|%s|%s|\n", strings.Repeat("-", 54), strings.Repeat("-", 14), strings.Repeat("-", 14), strings.Repeat("-", 9))
	dur := func(name string, get func(*figures) time.Duration) {
		row(w, name, f, d, func(x *figures) float64 { return float64(get(x)) / float64(time.Millisecond) }, "%.0f ms")
	}
	mib := func(name string, get func(*figures) float64) {
		row(w, name, f, d, get, "%.1f MiB")
	}
	dur("first SELECT after start (index load / build)", func(x *figures) time.Duration { return x.firstSelect })
	dur(fmt.Sprintf("SELECT INBOX (median of %d)", p.repeats), func(x *figures) time.Duration { return x.selectWarm })
	dur(fmt.Sprintf("UID FETCH 1:* (FLAGS) (median of %d)", p.repeats), func(x *figures) time.Duration { return x.fetchFlags })
	mib("  its response", func(x *figures) float64 { return float64(x.fetchBytes) / (1 << 20) })
	dur("UID SEARCH HEADER Subject "+rareSubject+" (first)", func(x *figures) time.Duration { return x.headerFirst })
	dur("UID SEARCH HEADER Subject "+rareSubject+" (second)", func(x *figures) time.Duration { return x.headerSecond })
	row(w, "  matches", f, d, func(x *figures) float64 { return float64(x.headerHits) }, "%.0f")
	dur(fmt.Sprintf("UID SEARCH UID 1:%d BODY %s", p.bodyLimit, rareBody), func(x *figures) time.Duration { return x.body })
	row(w, "  matches", f, d, func(x *figures) float64 { return float64(x.bodyHits) }, "%.0f")
	mib("RSS, one client (sum over processes)", func(x *figures) float64 { return kib(x.base.rssKiB) })
	mib("  of which anonymous (RssAnon: heap, stacks)", func(x *figures) float64 { return kib(x.base.anonKiB) })
	mib(fmt.Sprintf("RSS with %d IDLE (sum over processes)", p.idle), func(x *figures) float64 { return kib(x.idle.rssKiB) })
	mib(fmt.Sprintf("PSS with %d IDLE (sum over processes)", p.idle), func(x *figures) float64 { return kib(x.idle.pssKiB) })
	mib(fmt.Sprintf("RSS with %d IDLE, %v later", p.idle, p.settle), func(x *figures) float64 { return kib(x.idleLate.rssKiB) })
	mib(fmt.Sprintf("PSS with %d IDLE, %v later", p.idle, p.settle), func(x *figures) float64 { return kib(x.idleLate.pssKiB) })
	mib("  of which anonymous (RssAnon: heap, stacks)", func(x *figures) float64 { return kib(x.idleLate.anonKiB) })
	mib("  of which imap processes, RSS (Dovecot)", func(x *figures) float64 { return kib(x.idle.imapRSS) })
	row(w, "  processes", f, d, func(x *figures) float64 { return float64(x.idle.procs) }, "%.0f")
	row(w, "PSS per IDLE connection, settled (KiB)", f, d, func(x *figures) float64 {
		return float64(x.idleLate.pssKiB-x.base.pssKiB) / float64(max(p.idle, 1))
	}, "%.1f")
	row(w, "RssAnon per IDLE connection, settled (KiB)", f, d, func(x *figures) float64 {
		return float64(x.idleLate.anonKiB-x.base.anonKiB) / float64(max(p.idle, 1))
	}, "%.1f")
	if p.selectedIdle > 0 {
		row(w, "PSS per IDLE connection with INBOX selected (KiB)", f, d, func(x *figures) float64 {
			return float64(x.selected.pssKiB-x.idleLate.pssKiB) / float64(p.selectedIdle)
		}, "%.1f")
		row(w, "RssAnon per IDLE connection with INBOX selected (KiB)", f, d, func(x *figures) float64 {
			return float64(x.selected.anonKiB-x.idleLate.anonKiB) / float64(p.selectedIdle)
		}, "%.1f")
	}
}

func kib(v int64) float64 { return float64(v) / 1024 }

func row(w io.Writer, name string, f, d *figures, get func(*figures) float64, format string) {
	cell := func(x *figures) string {
		if x == nil {
			return "-"
		}
		return fmt.Sprintf(format, get(x))
	}
	ratio := "-"
	if f != nil && d != nil && get(d) != 0 {
		ratio = fmt.Sprintf("%.2f", get(f)/get(d))
	}
	fmt.Fprintf(w, "| %-52s | %12s | %12s | %7s |\n", name, cell(f), cell(d), ratio)
}
