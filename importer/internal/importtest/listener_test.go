package importtest

import (
	"bufio"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/internal/testcert"
)

// TestListener: each connection reaches the session, in TLS when asked,
// and is counted; Serve called again serves nothing twice.
func TestListener(t *testing.T) {
	serverConf, clientConf := testcert.Pair(t)
	for _, implicit := range []*tls.Config{nil, serverConf} {
		l := Listen(t)
		greet := func(c net.Conn) {
			c.SetDeadline(time.Now().Add(20 * time.Second))
			c.Write([]byte("+OK hello\r\n"))
		}
		addr := l.Serve(implicit, greet)
		if again := l.Serve(implicit, func(net.Conn) { t.Error("the second session func was used") }); again != addr {
			t.Fatalf("second Serve gave %s, want %s", again, addr)
		}
		for i := range 3 {
			var c net.Conn
			var err error
			if implicit != nil {
				c, err = tls.Dial("tcp", addr, clientConf)
			} else {
				c, err = net.Dial("tcp", addr)
			}
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(20 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err != nil || line != "+OK hello\r\n" {
				t.Fatalf("connection %d (TLS %v): %q, %v", i, implicit != nil, line, err)
			}
		}
		if n := l.Conns(); n != 3 {
			t.Errorf("TLS %v: %d connections counted, want 3", implicit != nil, n)
		}
	}
}
