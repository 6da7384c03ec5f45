package maildir_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/maildir"
	"github.com/ferrymail/ferrymail/store"
)

// makeMaildir writes a Dovecot Maildir of n messages of about 4 KB, with a
// dovecot-uidlist, and returns its path and total size.
func makeMaildir(tb testing.TB, dir string, n int) int64 {
	tb.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "cur"), 0o755); err != nil {
		tb.Fatal(err)
	}
	var total int64
	var ul strings.Builder
	fmt.Fprintf(&ul, "3 V1700000000 N%d\n", n+1)
	line := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit sed do. ", 1) + "\n"
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("%d.M%dP1.bench", 1700000000+i, i)
		body := fmt.Sprintf("From: a@example.org\nTo: b@example.org\nSubject: message %d\nMessage-ID: <%d@bench>\n\n%s", i, i, strings.Repeat(line, 62))
		if err := os.WriteFile(filepath.Join(dir, "cur", name+":2,S"), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
		total += int64(len(body))
		fmt.Fprintf(&ul, "%d :%s\n", i, name)
	}
	if err := os.WriteFile(filepath.Join(dir, "dovecot-uidlist"), []byte(ul.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return total
}

// BenchmarkImportMaildir imports a generated Maildir (FERRYMAIL_BENCH_N
// messages, default 20,000) into a durable store (fsync on every batch, as
// served) and reports messages/s, MB/s and the peak Go heap during the
// import.
func BenchmarkImportMaildir(b *testing.B) {
	n := 20000
	if s := os.Getenv("FERRYMAIL_BENCH_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	src := filepath.Join(b.TempDir(), "Maildir")
	size := makeMaildir(b, src, n)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(ctx, b.TempDir(), store.Options{GCInterval: -1, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		acc, _ := st.CreateAccount(ctx, "alice", "pw")
		s, _ := maildir.Open(src)
		runtime.GC()
		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		b.StartTimer()
		start := time.Now()
		rep, err := importer.Run(ctx, st, acc.ID, s, importer.Options{})
		elapsed := time.Since(start)
		b.StopTimer()
		close(stop)
		wg.Wait()
		if err != nil || !rep.OK() || rep.Mailboxes[0].Imported != n {
			b.Fatalf("import: %v %+v", err, rep.Mailboxes[0])
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(float64(size)/1e6/elapsed.Seconds(), "MB/s")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		st.Close()
		b.StartTimer()
	}
}
