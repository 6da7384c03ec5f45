package netutil

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/ferrymail/ferrymail/internal/limits"
)

// refuseWriteTimeout bounds the write of a refusal line, so that a peer
// that does not read cannot hold the accept loop's helper goroutine.
const refuseWriteTimeout = 5 * time.Second

// LimitListener wraps ln so that no remote address (limits.AddrKey) has
// more than perAddr's limit of connections open at once. A connection over
// the limit is not handed to the server: refuse writes the protocol's
// polite refusal (see RefuseLine) in a goroutine of its own and closes it,
// and Accept waits for the next. A nil refuse just closes. The count of
// an accepted connection is released when it is closed.
//
// Wrap the TCP listener before any TLS: the protocol servers recognise
// implicit TLS by the *tls.Conn that tls.NewListener returns, and a
// refusal on a TLS port must be a plain close (refuse nil), since the
// handshake has not happened.
func LimitListener(ln net.Listener, perAddr *limits.Counter, refuse func(net.Conn)) net.Listener {
	if perAddr == nil {
		return ln
	}
	if refuse == nil {
		refuse = func(c net.Conn) { c.Close() }
	}
	return &limitListener{Listener: ln, perAddr: perAddr, refuse: refuse,
		refusing: make(chan struct{}, maxRefusing)}
}

// maxRefusing bounds the refusals in progress at once (each may take up to
// twice refuseWriteTimeout); beyond it, connections over the limit are
// closed without a word, so that a flood of them costs no more than that.
const maxRefusing = 64

type limitListener struct {
	net.Listener
	perAddr  *limits.Counter
	refuse   func(net.Conn)
	refusing chan struct{} // a semaphore of maxRefusing
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		release, ok := l.perAddr.Acquire(limits.AddrKey(c.RemoteAddr()))
		if ok {
			return &countedConn{Conn: c, release: release}, nil
		}
		select {
		case l.refusing <- struct{}{}:
			go func() {
				defer func() { <-l.refusing }()
				l.refuse(c)
			}()
		default:
			c.Close()
		}
	}
}

// countedConn gives its slot back when it is closed (once, however often
// Close is called).
type countedConn struct {
	net.Conn
	release func()
	once    sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// RefuseLine returns a refuse function for LimitListener that writes line
// (which ends in CRLF) and closes the connection: "* BYE …" for IMAP (RFC
// 9051 §7.1.5), "-ERR [SYS/TEMP] …" for POP3 (RFC 3206 §4), "421 …" for
// LMTP (RFC 5321 §3.8).
func RefuseLine(line string) func(net.Conn) {
	return func(c net.Conn) {
		defer c.Close()
		c.SetWriteDeadline(time.Now().Add(refuseWriteTimeout))
		c.Write([]byte(line))
		// A close straight after the write can turn into a reset if the
		// peer's first bytes are still unread, and a reset may destroy the
		// line before the peer reads it; half-close first.
		if tc, ok := c.(interface{ CloseWrite() error }); ok {
			tc.CloseWrite()
		}
		// Read what the peer sends meanwhile (bounded in bytes and time)
		// until it closes, so the close does not reset the connection.
		c.SetReadDeadline(time.Now().Add(refuseWriteTimeout))
		io.CopyN(io.Discard, c, 64<<10)
	}
}

// CloseWrite half-closes the connection under c when it can (TCP).
func (c *countedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// NetConn returns the connection that c counts, so that FindIdleConn can
// look under a countedConn.
func (c *countedConn) NetConn() net.Conn { return c.Conn }
