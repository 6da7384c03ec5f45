package store

import (
	"context"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// BenchmarkSummaries100k: MessageSummaries() of a 100,000-message mailbox
// from the loaded index (what SELECT uses), to compare with
// BenchmarkList100k (the same listing decoded from badger). It also reports
// the one-time load from badger and the index's heap per message.
//
//	go test -run=^$ -bench=Summaries100k -benchtime=20x ./store/
func BenchmarkSummaries100k(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	s := benchStore(b, true)
	acc := newTestAccount(b, s, "bench")
	mb := fillMailbox(b, s, acc.ID, "Big", n, 2<<10)
	start := time.Now()
	box, err := s.boxIndex(ctx, acc.ID, mb.ID)
	if err != nil {
		b.Fatal(err)
	}
	load := time.Since(start)
	// The heap is too noisy (badger's memtables) to weigh the index by
	// MemStats; its entries are one array.
	perMsg := float64(unsafe.Sizeof(indexEntry{})) * float64(cap(box.entries)) / n
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		msgs, err := s.MessageSummaries(ctx, acc.ID, mb.ID)
		if err != nil || len(msgs) != n {
			b.Fatalf("%d messages, %v", len(msgs), err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "MB-alloc/op")
	// Reported after the loop: ResetTimer drops metrics reported before it.
	b.ReportMetric(float64(load.Milliseconds()), "load-ms")
	b.ReportMetric(perMsg, "index-B/msg")
}
