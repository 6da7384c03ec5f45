package metrics

import (
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/internal/observe"
)

// BenchmarkCommand is the cost the metrics add to every command: one
// counter and one histogram observation, looked up by labels.
func BenchmarkCommand(b *testing.B) {
	m := New(Options{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Command(observe.IMAP, "FETCH", observe.OK, 150*time.Microsecond)
		}
	})
}

// BenchmarkScrape is one /metrics exposition after some traffic.
func BenchmarkScrape(b *testing.B) {
	m := New(Options{StoreSize: func() (int64, int64) { return 1 << 20, 1 << 30 }})
	for _, c := range []string{"LOGIN", "SELECT", "FETCH", "STORE", "SEARCH", "IDLE"} {
		m.Command(observe.IMAP, c, observe.OK, time.Millisecond)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Registry().Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
