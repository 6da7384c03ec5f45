package netutil

import (
	"net"
	"sync"
)

// Listeners is the set of listeners one server accepts on. Serve adds a
// listener and runs the accept loop on it; Close closes them all and
// refuses any added later, which is how Shutdown and Close stop accepting.
// The zero value is ready to use.
type Listeners struct {
	mu     sync.Mutex
	closed bool
	set    map[net.Listener]struct{}
}

// Serve runs AcceptLoop on ln until the set is closed or ln fails, and
// closes ln when it returns. On a set already closed it closes ln and
// returns o.Closed at once. o.Closing defaults to the set's Closed.
func (l *Listeners) Serve(ln net.Listener, o AcceptOptions, serve func(net.Conn) bool) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		ln.Close()
		return o.Closed
	}
	if l.set == nil {
		l.set = make(map[net.Listener]struct{})
	}
	l.set[ln] = struct{}{}
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.set, ln)
		l.mu.Unlock()
		ln.Close()
	}()
	if o.Closing == nil {
		o.Closing = l.Closed
	}
	return AcceptLoop(ln, o, serve)
}

// Close closes every listener in the set and marks it closed.
func (l *Listeners) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for ln := range l.set {
		ln.Close()
	}
}

// Closed reports whether Close was called.
func (l *Listeners) Closed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}
