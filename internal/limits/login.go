package limits

import (
	"sync"
	"time"
)

// Defaults for LoginOptions' zero values.
const (
	// DefaultLoginFailures failed logins from one address within
	// DefaultLoginWindow block it. Ten is more than a user mistyping a
	// password and a client retrying it, and far fewer than guessing needs.
	DefaultLoginFailures = 10
	// DefaultLoginWindow is how far back failures are counted.
	DefaultLoginWindow = 5 * time.Minute
	// DefaultLoginBlock is how long a blocked address stays blocked.
	DefaultLoginBlock = 15 * time.Minute
	// DefaultMaxTracked bounds the addresses remembered at once, so that a
	// scan from many addresses cannot grow the table without end.
	DefaultMaxTracked = 100_000
)

// LoginOptions configure a LoginLimiter. The zero value uses the defaults.
type LoginOptions struct {
	// Failures is the number of failed logins within Window after which an
	// address is blocked; 0 means DefaultLoginFailures, negative disables
	// the limiter (NewLoginLimiter returns nil).
	Failures int
	// Window: 0 means DefaultLoginWindow.
	Window time.Duration
	// Block is how long logins from a blocked address are refused without
	// checking the password; 0 means DefaultLoginBlock.
	Block time.Duration
	// MaxTracked: 0 means DefaultMaxTracked.
	MaxTracked int
	// Now is the clock; nil means time.Now. Tests step their own.
	Now func() time.Time
}

// LoginLimiter remembers failed logins per address (AddrKey) across all
// protocols, and blocks an address that fails too often. A blocked
// address is refused before its password is checked: the point is to make
// guessing slow and to spare the CPU the password hash, which costs far
// more than the refusal.
//
// A successful login does not clear the address's failures: an attacker
// with one valid account could otherwise interleave its own logins with
// guesses at others' passwords and never be blocked.
type LoginLimiter struct {
	opts LoginOptions

	mu    sync.Mutex
	addrs map[string]*loginRecord
}

type loginRecord struct {
	failures     []time.Time // within the window, oldest first, at most Failures
	blockedUntil time.Time
}

// NewLoginLimiter returns a limiter, or nil (which limits nothing) when
// o.Failures is negative.
func NewLoginLimiter(o LoginOptions) *LoginLimiter {
	if o.Failures < 0 {
		return nil
	}
	if o.Failures == 0 {
		o.Failures = DefaultLoginFailures
	}
	if o.Window <= 0 {
		o.Window = DefaultLoginWindow
	}
	if o.Block <= 0 {
		o.Block = DefaultLoginBlock
	}
	if o.MaxTracked <= 0 {
		o.MaxTracked = DefaultMaxTracked
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &LoginLimiter{opts: o, addrs: make(map[string]*loginRecord)}
}

// Allowed reports whether key may try to log in now, and if not, until
// when it is blocked.
func (l *LoginLimiter) Allowed(key string) (ok bool, until time.Time) {
	if l == nil {
		return true, time.Time{}
	}
	now := l.opts.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.addrs[key]
	if r == nil || !now.Before(r.blockedUntil) {
		return true, time.Time{}
	}
	return false, r.blockedUntil
}

// Failed records a failed login from key. It reports whether key is now
// blocked (this failure was the one too many).
func (l *LoginLimiter) Failed(key string) (blocked bool) {
	if l == nil {
		return false
	}
	now := l.opts.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.addrs[key]
	if r == nil {
		if len(l.addrs) >= l.opts.MaxTracked {
			l.prune(now)
		}
		r = &loginRecord{}
		l.addrs[key] = r
	}
	r.failures = append(dropBefore(r.failures, now.Add(-l.opts.Window)), now)
	if len(r.failures) < l.opts.Failures {
		return false
	}
	r.failures = r.failures[:0]
	r.blockedUntil = now.Add(l.opts.Block)
	return true
}

// dropBefore removes the times before cut from the front of ts (which is
// in ascending order).
func dropBefore(ts []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(ts) && ts[i].Before(cut) {
		i++
	}
	return append(ts[:0], ts[i:]...)
}

// prune forgets addresses with no failure in the window and no block in
// force. If the table is still full it forgets unblocked addresses in map
// order, then any, down to three quarters of MaxTracked: under a scan from
// more addresses than that the limiter fails open for some of them rather
// than growing without bound, and keeps its blocks as long as it can.
// Called with mu held.
func (l *LoginLimiter) prune(now time.Time) {
	cut := now.Add(-l.opts.Window)
	for k, r := range l.addrs {
		if !now.Before(r.blockedUntil) && len(dropBefore(r.failures, cut)) == 0 {
			delete(l.addrs, k)
		}
	}
	low := l.opts.MaxTracked * 3 / 4
	for k, r := range l.addrs {
		if len(l.addrs) <= low {
			return
		}
		if !now.Before(r.blockedUntil) {
			delete(l.addrs, k)
		}
	}
	for k := range l.addrs {
		if len(l.addrs) <= low {
			return
		}
		delete(l.addrs, k)
	}
}

// Tracked is the number of addresses remembered (for tests and metrics).
func (l *LoginLimiter) Tracked() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.addrs)
}
