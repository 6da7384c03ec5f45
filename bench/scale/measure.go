package main

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The measurements, the same for both servers.

// figures is one server's results.
type figures struct {
	firstSelect  time.Duration // first SELECT after start: Ferrymail loads its index, Dovecot builds its own
	selectWarm   time.Duration // median of repeats
	fetchFlags   time.Duration // UID FETCH 1:* (FLAGS), median
	fetchBytes   int64
	headerFirst  time.Duration // UID SEARCH HEADER Subject <rare word>, first and second run
	headerSecond time.Duration
	headerHits   int
	body         time.Duration // UID SEARCH UID 1:K BODY <rare word>
	bodyHits     int
	base         memory // after the timings, one connection open
	idle         memory // with the IDLE connections on the small mailbox
	idleOpen     time.Duration
	idleLate     memory // the same, settle later
	selected     memory // and the connections that IDLE on the big mailbox
}

type plan struct {
	n            uint32
	bodyLimit    uint32 // BODY search over UIDs 1..bodyLimit
	repeats      int
	idle         int // IDLE connections on the small mailbox
	selectedIdle int // IDLE connections on the big mailbox
	timeout      time.Duration
	settle       time.Duration // wait before the second memory reading
}

// measure runs the plan against the server at addr, whose processes are the
// tree under pid.
func measure(addr string, pid int, p plan, logf func(string, ...any)) (figures, error) {
	var f figures
	if pid <= 1 {
		return f, fmt.Errorf("no server process (PID %d) to measure", pid)
	}
	c, err := login(addr, "", p.timeout)
	if err != nil {
		return f, err
	}
	defer c.Close()
	timed := func(what string, format string, args ...any) (reply, time.Duration, error) {
		start := time.Now()
		rep, err := c.cmd(p.timeout, format, args...)
		d := time.Since(start)
		if err != nil {
			return rep, d, fmt.Errorf("%s: %w", what, err)
		}
		logf("  %-44s %10v  %d bytes", what, d.Round(time.Millisecond), rep.bytes)
		return rep, d, nil
	}
	median := func(what, format string) (time.Duration, reply, error) {
		var ds []time.Duration
		var last reply
		for range p.repeats {
			rep, d, err := timed(what, format)
			if err != nil {
				return 0, rep, err
			}
			ds, last = append(ds, d), rep
		}
		slices.Sort(ds)
		return ds[len(ds)/2], last, nil
	}
	if _, f.firstSelect, err = timed("first SELECT INBOX", "SELECT INBOX"); err != nil {
		return f, err
	}
	if f.selectWarm, _, err = median("SELECT INBOX", "SELECT INBOX"); err != nil {
		return f, err
	}
	var rep reply
	if f.fetchFlags, rep, err = median("UID FETCH 1:* (FLAGS)", "UID FETCH 1:* (FLAGS)"); err != nil {
		return f, err
	}
	f.fetchBytes = rep.bytes
	q := "UID SEARCH HEADER Subject " + rareSubject
	if rep, f.headerFirst, err = timed(q, q); err != nil {
		return f, err
	}
	f.headerHits = len(bytes.Fields(rep.searched))
	if _, f.headerSecond, err = timed(q+" (again)", q); err != nil {
		return f, err
	}
	q = fmt.Sprintf("UID SEARCH UID 1:%d BODY %s", p.bodyLimit, rareBody)
	if rep, f.body, err = timed(q, q); err != nil {
		return f, err
	}
	f.bodyHits = len(bytes.Fields(rep.searched))
	f.base = measureMemory(pid)

	start := time.Now()
	idle, err := openIdle(addr, "Idle", p.idle, p.timeout)
	defer closeAll(idle)
	if err != nil {
		return f, fmt.Errorf("IDLE connections: %w", err)
	}
	f.idleOpen = time.Since(start)
	time.Sleep(2 * time.Second) // let logins' transient allocations settle
	f.idle = measureMemory(pid)
	logf("  %d IDLE connections open in %v", len(idle), f.idleOpen.Round(time.Millisecond))
	// Once more after a while: a login's password hash (argon2id, 19 MiB)
	// leaves garbage that Go's runtime returns to the kernel gradually.
	time.Sleep(p.settle)
	f.idleLate = measureMemory(pid)
	sel, err := openIdle(addr, "INBOX", p.selectedIdle, p.timeout)
	defer closeAll(sel)
	if err != nil {
		return f, fmt.Errorf("IDLE connections on INBOX: %w", err)
	}
	time.Sleep(2 * time.Second)
	f.selected = measureMemory(pid)
	return f, nil
}

// openIdle opens n connections that log in, select mailbox and IDLE, a few
// at a time.
func openIdle(addr, mailbox string, n int, timeout time.Duration) ([]*imapConn, error) {
	const parallel = 16
	conns := make([]*imapConn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := login(addr, mailbox, timeout)
			if err == nil {
				if err = c.idle(timeout); err != nil {
					c.Close()
				}
			}
			if err != nil {
				errs[i] = err
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	var open []*imapConn
	for _, c := range conns {
		if c != nil {
			open = append(open, c)
		}
	}
	for i, err := range errs {
		if err != nil {
			return open, fmt.Errorf("connection %d of %d: %w", i+1, n, err)
		}
	}
	return open, nil
}

func closeAll(conns []*imapConn) {
	for _, c := range conns {
		c.Close()
	}
}
