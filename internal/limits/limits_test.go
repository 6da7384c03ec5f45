package limits

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

func TestCounterLimitsPerKey(t *testing.T) {
	c := NewCounter(2)
	r1, ok1 := c.Acquire("a")
	r2, ok2 := c.Acquire("a")
	_, ok3 := c.Acquire("a")
	if !ok1 || !ok2 || ok3 {
		t.Fatalf("acquire a three times: got %v %v %v, want true true false", ok1, ok2, ok3)
	}
	if _, ok := c.Acquire("b"); !ok {
		t.Fatal("b refused because of a's connections")
	}
	r1()
	r1() // a second release of the same slot must not free another
	if got := c.Open("a"); got != 1 {
		t.Fatalf("after one release (twice): Open(a) = %d, want 1", got)
	}
	if _, ok := c.Acquire("a"); !ok {
		t.Fatal("a refused after a release")
	}
	if _, ok := c.Acquire("a"); ok {
		t.Fatal("a got a third slot")
	}
	r2()
	if got := c.Open("a"); got != 1 {
		t.Fatalf("Open(a) = %d, want 1", got)
	}
}

func TestCounterForgetsIdleKeys(t *testing.T) {
	c := NewCounter(1)
	for i := range 1000 {
		rel, ok := c.Acquire(fmt.Sprint(i))
		if !ok {
			t.Fatalf("key %d refused", i)
		}
		rel()
	}
	c.mu.Lock()
	n := len(c.open)
	c.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d keys kept after all were released, want 0", n)
	}
}

func TestNilLimitsLimitNothing(t *testing.T) {
	var c *Counter = NewCounter(0)
	if c != nil {
		t.Fatal("NewCounter(0) is not nil")
	}
	for range 100 {
		if _, ok := c.Acquire("a"); !ok {
			t.Fatal("nil counter refused")
		}
	}
	l := NewLoginLimiter(LoginOptions{Failures: -1})
	if l != nil {
		t.Fatal("NewLoginLimiter(Failures: -1) is not nil")
	}
	for range 100 {
		l.Failed("a")
	}
	if ok, _ := l.Allowed("a"); !ok {
		t.Fatal("nil login limiter refused")
	}
}

func TestCounterConcurrent(t *testing.T) {
	const limit, workers = 5, 20
	c := NewCounter(limit)
	var wg sync.WaitGroup
	var mu sync.Mutex
	peak := 0
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				rel, ok := c.Acquire("k")
				if !ok {
					continue
				}
				mu.Lock()
				peak = max(peak, c.Open("k"))
				mu.Unlock()
				rel()
			}
		}()
	}
	wg.Wait()
	if peak > limit {
		t.Fatalf("peak %d open, limit %d", peak, limit)
	}
	if n := c.Open("k"); n != 0 {
		t.Fatalf("%d left open", n)
	}
}

// clock is a test clock stepped by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) step(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestLoginLimiterBlocksAfterFailures(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLoginLimiter(LoginOptions{Failures: 3, Window: time.Minute, Block: 10 * time.Minute, Now: clk.now})
	for i := range 2 {
		if l.Failed("1.2.3.4") {
			t.Fatalf("blocked after %d failures, want 3", i+1)
		}
		if ok, _ := l.Allowed("1.2.3.4"); !ok {
			t.Fatalf("refused after %d failures", i+1)
		}
	}
	if !l.Failed("1.2.3.4") {
		t.Fatal("third failure did not block")
	}
	ok, until := l.Allowed("1.2.3.4")
	if ok || !until.Equal(clk.now().Add(10*time.Minute)) {
		t.Fatalf("Allowed = %v until %v, want false until %v", ok, until, clk.now().Add(10*time.Minute))
	}
	if ok, _ := l.Allowed("5.6.7.8"); !ok {
		t.Fatal("another address is blocked")
	}
	clk.step(10*time.Minute - time.Second)
	if ok, _ := l.Allowed("1.2.3.4"); ok {
		t.Fatal("unblocked before the block ended")
	}
	clk.step(time.Second)
	if ok, _ := l.Allowed("1.2.3.4"); !ok {
		t.Fatal("still blocked after the block ended")
	}
	// The failures that led to the block are spent: a fresh count begins.
	if l.Failed("1.2.3.4") {
		t.Fatal("one failure after a block blocked again")
	}
}

func TestLoginLimiterWindowSlides(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLoginLimiter(LoginOptions{Failures: 3, Window: time.Minute, Now: clk.now})
	// Failures 40 s apart: never three within a minute.
	for i := range 20 {
		if l.Failed("a") {
			t.Fatalf("blocked at failure %d though never 3 within the window", i+1)
		}
		clk.step(40 * time.Second)
	}
	// Three quick ones do.
	clk.step(time.Minute)
	l.Failed("a")
	l.Failed("a")
	if !l.Failed("a") {
		t.Fatal("three failures within the window did not block")
	}
}

func TestLoginLimiterBoundedMemory(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLoginLimiter(LoginOptions{Failures: 2, Window: time.Minute, MaxTracked: 100, Now: clk.now})
	l.Failed("victim")
	l.Failed("victim") // blocked
	for i := range 1000 {
		l.Failed(fmt.Sprint("scan", i))
	}
	if n := l.Tracked(); n > 100 {
		t.Fatalf("%d addresses tracked, bound 100", n)
	}
	// Expired entries go first, then unblocked ones: the blocked address
	// is kept through both.
	clk.step(2 * time.Minute)
	for i := range 200 {
		l.Failed(fmt.Sprint("late", i))
	}
	if ok, _ := l.Allowed("victim"); ok {
		t.Fatal("blocked address was forgotten while entries with no failure in the window were pruned")
	}
}

func TestLoginLimiterConcurrent(t *testing.T) {
	l := NewLoginLimiter(LoginOptions{Failures: 50, MaxTracked: 10})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := fmt.Sprint(w, "-", i%20)
				l.Allowed(k)
				l.Failed(k)
			}
		}()
	}
	wg.Wait()
	if n := l.Tracked(); n > 10 {
		t.Fatalf("%d tracked, bound 10", n)
	}
}

func TestAddrKey(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 4000}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.7"), Port: 4000}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:3:4:5:6"), Port: 1}, "2001:db8:1:2::/64"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2::ffff"), Port: 2}, "2001:db8:1:2::/64"},
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 2}, "127.0.0.1"},
		{&net.UnixAddr{Name: "@", Net: "unix"}, "local"},
		{nil, "local"},
	}
	for _, tt := range tests {
		if got := AddrKey(tt.addr); got != tt.want {
			t.Errorf("AddrKey(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// FuzzAddrKey: any IP address gives a non-empty key, the same for every
// port, and an IPv6 key covers its /64.
func FuzzAddrKey(f *testing.F) {
	f.Add([]byte{192, 0, 2, 1}, 1)
	f.Add([]byte(net.ParseIP("2001:db8::1")), 2)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, ip []byte, port int) {
		a := &net.TCPAddr{IP: net.IP(ip), Port: port}
		k := AddrKey(a)
		if k == "" {
			t.Fatal("empty key")
		}
		if k2 := AddrKey(&net.TCPAddr{IP: net.IP(ip), Port: port + 1}); k2 != k {
			t.Fatalf("port changes the key: %q, %q", k, k2)
		}
		if len(ip) == 16 && net.IP(ip).To4() == nil {
			other := append([]byte(nil), ip...)
			other[15] ^= 0xff
			if k2 := AddrKey(&net.TCPAddr{IP: other}); k2 != k {
				t.Fatalf("same /64, different keys: %q, %q", k, k2)
			}
		}
	})
}
