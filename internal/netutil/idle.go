package netutil

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// IdleConn is a net.Conn that knows whether its reader is waiting for the
// peer. A server that reads a command only when it has finished the last
// one is between commands exactly when it waits in Read, and that is when
// a shutdown can say goodbye without cutting a command in progress (IMAP
// Shutdown: an APPEND whose message is being stored gets its OK first).
//
// Its Close is graceful, for the same shutdown: see Close.
type IdleConn struct {
	net.Conn
	reading atomic.Int32
	closing atomic.Bool
	once    sync.Once
}

// Bounds of the lingering close: how long and how much the peer may still
// send after our last word before the connection is closed anyway.
const (
	lingerTimeout = 2 * time.Second
	lingerMax     = 64 << 10
)

// TrackIdleListener returns a listener whose connections are IdleConns.
func TrackIdleListener(ln net.Listener) net.Listener {
	return idleListener{ln}
}

type idleListener struct{ net.Listener }

func (l idleListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return TrackIdle(c), nil
}

// TrackIdle wraps c. Do not wrap a *tls.Conn (servers recognise TLS by its
// type): wrap the connection under it, and FindIdleConn finds it there.
func TrackIdle(c net.Conn) *IdleConn {
	return &IdleConn{Conn: c}
}

func (c *IdleConn) Read(p []byte) (int, error) {
	c.reading.Add(1)
	defer c.reading.Add(-1)
	if c.closing.Load() {
		return 0, net.ErrClosed
	}
	return c.Conn.Read(p)
}

// Close ends the connection without a reset. A server that says goodbye
// (IMAP's BYE) and closes at once, while the client's next command is
// already on its way, makes the kernel answer that unread command with a
// TCP reset, and a reset can destroy the goodbye before the client reads
// it. So Close stops the server's own reads at once (a Read in progress is
// woken and fails, so no command that arrives now is carried out) and
// returns; in the background it then half-closes — the peer reads
// everything sent and then end of file — reads and discards what the
// peer still sends until it closes too, bounded by lingerTimeout and
// lingerMax, and closes. Close does not block, so a server closing many
// connections in a row is not held up by slow peers.
func (c *IdleConn) Close() error {
	c.once.Do(func() {
		c.closing.Store(true)
		c.Conn.SetReadDeadline(time.Unix(1, 0))
		go c.linger()
	})
	return nil
}

// linger is the background part of Close.
func (c *IdleConn) linger() {
	for i := 0; c.reading.Load() > 0 && i < 1000; i++ {
		time.Sleep(time.Millisecond)
	}
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		c.Conn.SetReadDeadline(time.Now().Add(lingerTimeout))
		io.CopyN(io.Discard, c.Conn, lingerMax)
	}
	c.Conn.Close()
}

// Waiting reports whether a Read is in progress: the server waits for the
// peer.
func (c *IdleConn) Waiting() bool {
	return c.reading.Load() > 0
}

// FindIdleConn returns the IdleConn that c is or that a TLS connection c
// runs on (implicit TLS, or STARTTLS on a tracked connection).
func FindIdleConn(c net.Conn) (*IdleConn, bool) {
	for range 4 { // bounded: a TLS connection over a TLS connection at most
		switch cc := c.(type) {
		case *IdleConn:
			return cc, true
		case *tls.Conn:
			c = cc.NetConn()
		case interface{ NetConn() net.Conn }:
			c = cc.NetConn()
		default:
			return nil, false
		}
	}
	return nil, false
}
