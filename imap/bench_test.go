package imap

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// Benchmarks for docs/imap.md (go test -run '^$' -bench . ./imap/).
// FERRYMAIL_BENCH_MESSAGES overrides the 100,000 messages of the large
// mailbox, FERRYMAIL_BENCH_IDLE the 1,000 IDLE connections.

func benchCount(env string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(env)); err == nil && n > 0 {
		return n
	}
	return def
}

// fill imports n small messages into a new mailbox (batches of 500, the
// store's bulk path) and returns its name.
func fill(b *testing.B, e *testEnv, name string, n int, body string) {
	b.Helper()
	ctx := context.Background()
	mb, err := e.store.CreateMailbox(ctx, e.acct.ID, name, store.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for start := 1; start <= n; start += 500 {
		var batch []store.ImportMessage
		for uid := start; uid < start+500 && uid <= n; uid++ {
			batch = append(batch, store.ImportMessage{UID: store.UID(uid), Body: strings.NewReader(body), SourceKey: fmt.Sprint(uid)})
		}
		if _, err := e.store.Import(ctx, e.acct.ID, mb.ID, batch, store.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSelectFetchFlags: SELECT, then UID FETCH 1:* (FLAGS), of a
// 100,000-message mailbox; one op is both commands.
func BenchmarkSelectFetchFlags(b *testing.B) {
	n := benchCount("FERRYMAIL_BENCH_MESSAGES", 100000)
	e := newTestEnv(b)
	fill(b, e, "Big", n, simpleMsg)
	r := e.pre(b).raw()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		r.mustOK("SELECT Big")
		sel := time.Since(start)
		u := r.mustOK("UID FETCH 1:* (FLAGS)")
		if len(u) != n {
			b.Fatalf("%d FETCH responses", len(u))
		}
		b.ReportMetric(float64(sel.Microseconds())/1000, "ms-select")
	}
	b.ReportMetric(float64(n), "messages")
}

// BenchmarkFetchBody: FETCH BODY.PEEK[] throughput on 100 messages of 100 KB.
func BenchmarkFetchBody(b *testing.B) {
	e := newTestEnv(b)
	body := "Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 78)+"\r\n", 100<<10/80)
	fill(b, e, "Bodies", 100, body)
	r := e.pre(b).raw()
	r.mustOK("EXAMINE Bodies")
	b.SetBytes(int64(100 * len(body)))
	b.ResetTimer()
	for b.Loop() {
		if u := r.mustOK("FETCH 1:100 (BODY.PEEK[])"); len(u) != 100 {
			b.Fatalf("%d answers", len(u))
		}
	}
}

// BenchmarkAppend: sequential APPEND of a 4 KB message (LITERAL+). The
// test store runs without fsync; with fsync the store's own figures apply
// (docs/store.md).
func BenchmarkAppend(b *testing.B) {
	e := newTestEnv(b)
	body := "Subject: append\r\n\r\n" + strings.Repeat(strings.Repeat("y", 78)+"\r\n", 4096/80)
	r := e.pre(b).raw()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		r.mustOK("APPEND INBOX {%d+}\r\n%s", len(body), body)
	}
}

// BenchmarkIdleMemory: heap and goroutines per connection with 1,000
// sessions in IDLE on a selected mailbox (server and the test's clients
// in one process; the client side is a socket and a 4 KiB bufio.Reader).
func BenchmarkIdleMemory(b *testing.B) {
	n := benchCount("FERRYMAIL_BENCH_IDLE", 1000)
	e := newTestEnv(b)
	fill(b, e, "Shared", 100, simpleMsg)
	pe := e.pre(b)
	for b.Loop() {
		runtime.GC()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		conns := make([]*raw, n)
		for i := range conns {
			r := pe.raw()
			r.mustOK("SELECT Shared")
			r.send("i IDLE\r\n")
			if l := r.line(); !strings.HasPrefix(l, "+") {
				b.Fatalf("IDLE: %q", l)
			}
			conns[i] = r
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(n), "heap-bytes/conn")
		b.ReportMetric(float64(int64(after.StackInuse)-int64(before.StackInuse))/float64(n), "stack-bytes/conn")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/float64(n), "goroutines/conn")
		// One delivery reaches every IDLE session.
		start := time.Now()
		e.deliver("Shared", simpleMsg)
		for _, r := range conns {
			if l := r.line(); !strings.Contains(l, "EXISTS") {
				b.Fatalf("IDLE got %q", l)
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "ms-notify-all")
		for _, r := range conns {
			r.c.Close()
		}
	}
}

// pre is preauth for benchmarks.
func (e *testEnv) pre(b *testing.B) *testEnv { return e.preauth() }

// BenchmarkSearchFlags: SEARCH on flags and size over 100,000 messages
// answers from the view, without reading a message.
func BenchmarkSearchFlags(b *testing.B) {
	n := benchCount("FERRYMAIL_BENCH_MESSAGES", 100000)
	e := newTestEnv(b)
	fill(b, e, "Big", n, simpleMsg)
	r := e.pre(b).raw()
	r.mustOK("SELECT Big")
	r.mustOK(`STORE 1:%d +FLAGS.SILENT (\Flagged)`, n/2)
	b.ResetTimer()
	for b.Loop() {
		if u := r.mustOK("SEARCH FLAGGED UNSEEN LARGER 10 NOT DELETED"); len(u) != 1 {
			b.Fatalf("%q", u)
		}
	}
}

// BenchmarkSearchBody: SEARCH BODY over 10,000 messages, which must open
// each one (for comparison with BenchmarkSearchFlags).
func BenchmarkSearchBody(b *testing.B) {
	e := newTestEnv(b)
	fill(b, e, "Mid", 10000, simpleMsg)
	r := e.pre(b).raw()
	r.mustOK("SELECT Mid")
	b.ResetTimer()
	for b.Loop() {
		if u := r.mustOK("SEARCH BODY world"); len(u) != 1 {
			b.Fatalf("%q", u)
		}
	}
}
