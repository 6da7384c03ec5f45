package limits

import "sync"

// Counter counts open connections per key (a remote address from AddrKey,
// or an account name) and refuses a new one once a key has Max open.
type Counter struct {
	max int

	mu   sync.Mutex
	open map[string]int // only keys with at least one connection
}

// NewCounter returns a counter allowing max connections per key; max <= 0
// means no limit, and NewCounter returns nil (which counts nothing).
func NewCounter(max int) *Counter {
	if max <= 0 {
		return nil
	}
	return &Counter{max: max, open: make(map[string]int)}
}

// Max is the limit per key; 0 for a nil Counter (no limit).
func (c *Counter) Max() int {
	if c == nil {
		return 0
	}
	return c.max
}

// Acquire takes one of key's slots. It reports false, taking nothing, when
// key already has Max. Otherwise the caller must call release exactly once
// when the connection ends; further calls of release do nothing, so that
// it can be both deferred and called early.
func (c *Counter) Acquire(key string) (release func(), ok bool) {
	if c == nil {
		return func() {}, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[key] >= c.max {
		return nil, false
	}
	c.open[key]++
	var once sync.Once
	return func() { once.Do(func() { c.release(key) }) }, true
}

func (c *Counter) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Deleting at zero keeps the map as small as the set of keys with
	// connections open, whatever number of addresses have come and gone.
	if c.open[key] <= 1 {
		delete(c.open, key)
		return
	}
	c.open[key]--
}

// Open is the number of connections key has open now.
func (c *Counter) Open(key string) int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open[key]
}
