package pop3src

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// scriptConn is a connection whose server side is a fixed byte string;
// what the client writes is dropped.
type scriptConn struct{ r io.Reader }

func (c *scriptConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *scriptConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *scriptConn) Close() error                     { return nil }
func (c *scriptConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *scriptConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzSource feeds the client arbitrary server answers: it must end with
// a result or an error, never panic or hang. Seeds are transcripts of the
// RFC 1939 §10 example session and of quirks.
func FuzzSource(f *testing.F) {
	f.Add([]byte("+OK POP3 server ready\r\n-ERR\r\n+OK\r\n+OK\r\n+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n" +
		"+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n+OK 120 octets\r\nSubject: x\r\n\r\n..dot\r\n.\r\n+OK\r\nSubject: y\r\n\r\n.\r\n+OK\r\n"))
	f.Add([]byte("+OK\r\n+OK\r\nSASL PLAIN\r\n.\r\n+OK\r\n+OK\r\n1 a\r\nbogus\r\n\r\n1 a\r\n.\r\n+OK\r\nx y\r\n1 -5\r\n.\r\n-ERR no\r\n"))
	f.Add([]byte("+OK\r\n+OK\r\n.\r\n+OK\r\n+OK\r\n-ERR UIDL not supported\r\n"))
	f.Add([]byte("+OK\r\n+OK\r\n.\r\n+OK\r\n+OK\r\n+OK\r\n1 a\r\n.\r\n+OK\r\n1 5\r\n.\r\n+OK\r\nhalf a mess"))
	f.Fuzz(func(t *testing.T, script []byte) {
		dials := 0
		src := New(Options{Addr: "legacy:110", User: "u", Password: "p", Attempts: 2, Backoff: time.Microsecond,
			Dial: func(context.Context, string, string) (net.Conn, error) {
				if dials++; dials > 2 {
					return nil, errors.New("no more")
				}
				return &scriptConn{r: bytes.NewReader(script)}, nil
			}})
		ctx := context.Background()
		boxes, err := src.Mailboxes(ctx)
		if err != nil {
			return
		}
		defer src.Close()
		it, err := src.Messages(ctx, &boxes[0])
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close() // stops the fetcher goroutine
		for n := 0; ; n++ {
			msg, err := it.Next()
			if err != nil || n > len(script) {
				return
			}
			if rc, err := msg.Open(); err == nil {
				io.Copy(io.Discard, rc)
				rc.Close()
			}
		}
	})
}
