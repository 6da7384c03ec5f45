package lmtp

import (
	"net"
	"sync"
	"time"
)

// drainInterval is how often Shutdown looks for connections that have
// become idle.
const drainInterval = 50 * time.Millisecond

// drainer lets Shutdown end the connections that are between transactions
// while those in one finish it. go-smtp's own Shutdown only waits for
// connections to end, and an MTA keeps idle LMTP connections open for
// reuse (Postfix's connection cache, up to 300 s): the shutdown would then
// always run into its timeout and cut everything, deliveries in progress
// included.
//
// An idle connection is ended by setting a read deadline in the past:
// go-smtp then answers "421 4.4.2" and closes it (RFC 5321 §3.8: a server
// going away sends 421), so the MTA keeps the mail queued and reconnects
// later. go-smtp sets a fresh deadline before it reads each command, so
// Shutdown repeats this until the connection is gone. A transaction in
// progress (from MAIL to the end of DATA, session.inTx) is left alone:
// its recipients get their 250s first.
type drainer struct {
	mu    sync.Mutex
	conns map[net.Conn]*session // nil until LHLO made the session
}

func newDrainer() *drainer {
	return &drainer{conns: make(map[net.Conn]*session)}
}

// listener tracks every connection it accepts until it is closed.
func (d *drainer) listener(ln net.Listener) net.Listener {
	return &drainListener{Listener: ln, d: d}
}

type drainListener struct {
	net.Listener
	d *drainer
}

func (l *drainListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &drainConn{Conn: c, d: l.d}
	l.d.mu.Lock()
	l.d.conns[tc] = nil
	l.d.mu.Unlock()
	return tc, nil
}

type drainConn struct {
	net.Conn
	d *drainer
}

func (c *drainConn) Close() error {
	c.d.mu.Lock()
	delete(c.d.conns, c)
	c.d.mu.Unlock()
	return c.Conn.Close()
}

// attach records the session of a connection (at LHLO).
func (d *drainer) attach(c net.Conn, ss *session) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.conns[c]; ok {
		d.conns[c] = ss
	}
}

// interruptIdle makes every connection outside a transaction time out
// at its next (or current) read.
func (d *drainer) interruptIdle() {
	d.mu.Lock()
	defer d.mu.Unlock()
	past := time.Unix(1, 0)
	for c, ss := range d.conns {
		if ss == nil || !ss.inTx.Load() {
			c.SetReadDeadline(past)
		}
	}
}

// drainUntil calls interruptIdle every drainInterval until stop is closed.
func (d *drainer) drainUntil(stop <-chan struct{}) {
	t := time.NewTicker(drainInterval)
	defer t.Stop()
	for {
		d.interruptIdle()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}
