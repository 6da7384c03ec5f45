package pop3src

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/importer"
)

// latencyConn delays what the server sends by rtt, without serialising
// the chunks (a link's latency, not a slow server): a command answered at
// once arrives rtt after it was sent, and answers to pipelined commands
// arrive back to back.
type latencyConn struct {
	net.Conn
	rtt    time.Duration
	chunks chan timedChunk
	buf    []byte
	err    error
}

type timedChunk struct {
	at   time.Time
	data []byte
	err  error
}

func withLatency(c net.Conn, rtt time.Duration) net.Conn {
	lc := &latencyConn{Conn: c, rtt: rtt, chunks: make(chan timedChunk, 1024)}
	go func() {
		for {
			b := make([]byte, 32<<10)
			n, err := c.Read(b)
			lc.chunks <- timedChunk{at: time.Now().Add(rtt), data: b[:n], err: err}
			if err != nil {
				close(lc.chunks)
				return
			}
		}
	}()
	return lc
}

func (c *latencyConn) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		ch, ok := <-c.chunks
		if !ok {
			return 0, c.err
		}
		time.Sleep(time.Until(ch.at))
		c.buf, c.err = ch.data, ch.err
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// BenchmarkImportLatency imports 300 small messages from the scripted
// server over a link with 1 ms round-trip time, with and without
// PIPELINING offered: without, one RETR is in flight at a time (the
// fetcher still overlaps it with the store's writes); with, up to
// pipelineDepth. It reports messages per second.
//
//	go test -run '^$' -bench ImportLatency -benchtime 3x ./importer/pop3src
func BenchmarkImportLatency(b *testing.B) {
	const n, rtt = 300, time.Millisecond
	msgs := make([]fakeMsg, n)
	for i := range msgs {
		msgs[i] = fakeMsg{fmt.Sprintf("u%d", i), fmt.Sprintf("From: a@example.org\r\nSubject: %d\r\n\r\n%0400d\r\n", i, i)}
	}
	for _, pipelining := range []bool{false, true} {
		b.Run(fmt.Sprintf("pipelining=%v", pipelining), func(b *testing.B) {
			f := newFakeServer(b, msgs...)
			f.pipelining = pipelining
			var total time.Duration
			for i := 0; i < b.N; i++ {
				st, acc := newStore(b)
				src := New(Options{Addr: f.addr(), User: "alice", Password: "pw", Timeout: 10 * time.Second,
					Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
						var d net.Dialer
						c, err := d.DialContext(ctx, network, addr)
						if err != nil {
							return nil, err
						}
						return withLatency(c, rtt), nil
					}})
				start := time.Now()
				rep, err := importer.Run(context.Background(), st, acc.ID, src, importer.Options{})
				total += time.Since(start)
				if err != nil || rep.Mailboxes[0].Imported != n {
					b.Fatalf("import: %v %+v", err, rep)
				}
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "msgs/s")
		})
	}
}
