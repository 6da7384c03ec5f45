package pop3

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// benchMessage returns a message of about size octets (CRLF lines of 76
// characters), numbered i so that no two share a blob.
func benchMessage(i, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: sender@example.org\r\nTo: alice@example.org\r\nSubject: message %d\r\nMessage-ID: <%d@bench.example>\r\n\r\n", i, i)
	line := strings.Repeat("x", 74) + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.String()
}

// popClient is the benchmark's client: what a "leave mail on server"
// client does, one command at a time (no pipelining).
type popClient struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
}

func dialPOP(addr, user, pass string) (*popClient, error) {
	nc, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return nil, err
	}
	c := &popClient{conn: nc, br: bufio.NewReaderSize(nc, 64<<10), bw: bufio.NewWriter(nc)}
	if _, err := c.status(""); err != nil {
		nc.Close()
		return nil, err
	}
	for _, cmd := range []string{"USER " + user, "PASS " + pass} {
		if _, err := c.status(cmd); err != nil {
			nc.Close()
			return nil, err
		}
	}
	return c, nil
}

// status sends cmd (nothing when "") and reads a +OK line.
func (c *popClient) status(cmd string) (string, error) {
	c.conn.SetDeadline(time.Now().Add(time.Minute))
	if cmd != "" {
		c.bw.WriteString(cmd + "\r\n")
		if err := c.bw.Flush(); err != nil {
			return "", err
		}
	}
	line, err := c.br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(line, "+OK") {
		return "", fmt.Errorf("%s: %q", strings.Fields(cmd + " x")[0], line)
	}
	return line, nil
}

// multi reads a multi-line body, calling fn for each line (with CRLF).
func (c *popClient) multi(fn func(line []byte)) error {
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return err
		}
		if string(line) == ".\r\n" {
			return nil
		}
		if fn != nil {
			fn(line)
		}
	}
}

// fullDrop downloads a whole maildrop: UIDL, then RETR of every message.
func fullDrop(addr, user, pass string) (msgs int, octets int64, err error) {
	c, err := dialPOP(addr, user, pass)
	if err != nil {
		return 0, 0, err
	}
	defer c.conn.Close()
	var uidls []string
	if _, err := c.status("UIDL"); err != nil {
		return 0, 0, err
	}
	if err := c.multi(func(l []byte) { uidls = append(uidls, string(l)) }); err != nil {
		return 0, 0, err
	}
	for i := range uidls {
		if _, err := c.status("RETR " + strconv.Itoa(i+1)); err != nil {
			return msgs, octets, err
		}
		if err := c.multi(func(l []byte) { octets += int64(len(l)) }); err != nil {
			return msgs, octets, err
		}
		msgs++
	}
	_, err = c.status("QUIT")
	return msgs, octets, err
}

// BenchmarkFullDrop: UIDL + RETR of 10,000 messages of about 4 KB, one
// command at a time. FERRYMAIL_BENCH_POP3=host:port,user,password runs the
// same client against another server (Dovecot, for the ratio).
func BenchmarkFullDrop(b *testing.B) {
	const n, size = 10_000, 4096
	addr, user, pass := testUser, testUser, testPass
	if ext := os.Getenv("FERRYMAIL_BENCH_POP3"); ext != "" {
		parts := strings.SplitN(ext, ",", 3)
		if len(parts) != 3 {
			b.Fatal("FERRYMAIL_BENCH_POP3 is host:port,user,password")
		}
		addr, user, pass = parts[0], parts[1], parts[2]
	} else {
		e := newBenchEnv(b)
		ctx := context.Background()
		for i := range n {
			if _, err := e.st.Append(ctx, e.acc.ID, e.inbox, strings.NewReader(benchMessage(i, size)), store.AppendOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		addr = e.addr
	}
	b.ResetTimer()
	var total int64
	var msgs int
	for b.Loop() {
		m, o, err := fullDrop(addr, user, pass)
		if err != nil {
			b.Fatal(err)
		}
		if m != n {
			b.Fatalf("downloaded %d messages, want %d", m, n)
		}
		msgs += m
		total += o
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(msgs)/secs, "msgs/s")
	b.ReportMetric(float64(total)/secs/1e6, "MB/s")
}

// BenchmarkRetr50MB: RETR of one 50 MB message, with the heap sampled
// during the download; peak-heap-MB is the most the heap grew over the
// baseline while the message was sent.
func BenchmarkRetr50MB(b *testing.B) {
	const size = 50 << 20
	e := newBenchEnv(b)
	ctx := context.Background()
	if _, err := e.st.Append(ctx, e.acc.ID, e.inbox, &repeatReader{left: size}, store.AppendOptions{}); err != nil {
		b.Fatal(err)
	}
	var peak atomic.Uint64
	b.ResetTimer()
	for b.Loop() {
		// Log in first: the password check (argon2id) takes 19 MiB itself.
		c, err := dialPOP(e.addr, testUser, testPass)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > base {
					if d := ms.HeapAlloc - base; d > peak.Load() {
						peak.Store(d)
					}
				}
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		var got int64
		if _, err := c.status("RETR 1"); err != nil {
			b.Fatal(err)
		}
		if err := c.multi(func(l []byte) { got += int64(len(l)) }); err != nil {
			b.Fatal(err)
		}
		c.conn.Close()
		close(stop)
		wg.Wait()
		if got < size {
			b.Fatalf("got %d octets, want %d", got, size)
		}
	}
	b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
}

// repeatReader yields left octets of 76-character CRLF lines, some of
// which start with a dot.
type repeatReader struct {
	left int
	buf  bytes.Buffer
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	for r.buf.Len() < len(p) {
		r.buf.WriteString(".starts with a dot" + strings.Repeat("y", 56) + "\r\n")
	}
	n := min(len(p), r.left)
	r.buf.Read(p[:n])
	r.left -= n
	return n, nil
}

// newBenchEnv is newEnv for benchmarks.
func newBenchEnv(b *testing.B) *testEnv {
	ctx := context.Background()
	st, err := store.Open(ctx, b.TempDir(), store.Options{Logger: quietLogger(), NoSync: true, GCInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	acc, err := st.CreateAccount(ctx, testUser, testPass)
	if err != nil {
		b.Fatal(err)
	}
	inbox, err := st.Mailbox(ctx, acc.ID, store.InboxName)
	if err != nil {
		b.Fatal(err)
	}
	srv := New(Options{}, st, quietLogger())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return &testEnv{st: st, srv: srv, addr: ln.Addr().String(), acc: acc, inbox: inbox.ID}
}
