package importtest

import (
	"crypto/tls"
	"net"
	"sync"
	"testing"
)

// Listener is the listening side of a test's scripted server: it listens
// on 127.0.0.1:0, serves each connection in its own goroutine and counts
// them. When the test ends it stops listening and waits for every session.
type Listener struct {
	ln    net.Listener
	once  sync.Once
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns int
}

// Listen opens the listener; nothing is served before Serve.
func Listen(t testing.TB) *Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Listener{ln: ln}
	t.Cleanup(func() { ln.Close(); l.wg.Wait() })
	return l
}

// Serve starts serving on its first call and returns the address to dial.
// Each connection is given to session, in TLS from the first byte when
// implicit is not nil, and closed when session returns. Serving starts
// late so that a test sets its server's quirks first; later calls only
// return the address.
func (l *Listener) Serve(implicit *tls.Config, session func(net.Conn)) string {
	l.once.Do(func() {
		l.wg.Add(1)
		go l.accept(implicit, session)
	})
	return l.ln.Addr().String()
}

func (l *Listener) accept(implicit *tls.Config, session func(net.Conn)) {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return // closed at the end of the test
		}
		l.mu.Lock()
		l.conns++
		l.mu.Unlock()
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer c.Close()
			if implicit != nil {
				c = tls.Server(c, implicit)
			}
			session(c)
		}()
	}
}

// Conns is the number of connections accepted so far.
func (l *Listener) Conns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns
}
