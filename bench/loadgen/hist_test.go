package loadgen

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestBucketBounds: every value lies within the bounds of its bucket, the
// buckets tile the range without gaps, and a bucket is at most 1/64 of its
// values wide.
func TestBucketBounds(t *testing.T) {
	prevHi := uint64(0)
	for i := 1; i < numBuckets; i++ {
		lo, hi := bucketBounds(i)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, want %d (right after bucket %d)", i, lo, prevHi+1, i-1)
		}
		if hi < lo || (lo >= subBuckets && float64(hi-lo+1) > float64(lo)/subBuckets) {
			t.Fatalf("bucket %d = [%d, %d]: wider than 1/%d of its values", i, lo, hi, subBuckets)
		}
		for _, v := range []uint64{lo, hi, lo + (hi-lo)/2} {
			if got := bucketOf(v); got != i {
				t.Fatalf("bucketOf(%d) = %d, want %d", v, got, i)
			}
		}
		prevHi = hi
	}
	if got := bucketOf(1 << 62); got != numBuckets-1 {
		t.Errorf("bucketOf(2^62) = %d, want the last bucket %d", got, numBuckets-1)
	}
}

// TestQuantiles compares the histogram's quantiles with exact ones from
// sorted samples: never below, and above by at most the bucket width.
func TestQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, dist := range []struct {
		name string
		draw func() time.Duration
	}{
		{"uniform 0-2ms", func() time.Duration { return time.Duration(rng.IntN(2000)) * time.Microsecond }},
		{"exponential, mean 5ms", func() time.Duration { return time.Duration(rng.ExpFloat64() * 5e6) }},
		{"bimodal 100µs and 1s", func() time.Duration {
			if rng.IntN(10) == 0 {
				return time.Second + time.Duration(rng.IntN(1e6))*time.Microsecond
			}
			return time.Duration(100+rng.IntN(50)) * time.Microsecond
		}},
	} {
		t.Run(dist.name, func(t *testing.T) {
			var h Histogram
			samples := make([]int64, 20_000)
			for i := range samples {
				d := dist.draw()
				h.Record(d)
				samples[i] = d.Microseconds()
			}
			slices.Sort(samples)
			if h.Count() != uint64(len(samples)) {
				t.Fatalf("Count = %d, want %d", h.Count(), len(samples))
			}
			if got, want := h.Max(), time.Duration(samples[len(samples)-1])*time.Microsecond; got != want {
				t.Errorf("Max = %v, want %v", got, want)
			}
			for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
				rank := int(q*float64(len(samples))+0.999999) - 1
				exact := samples[max(rank, 0)]
				got := h.Quantile(q).Microseconds()
				if got < exact || float64(got-exact) > float64(exact)/subBuckets+1 {
					t.Errorf("Quantile(%v) = %dµs, exact %dµs: off by more than 1/%d", q, got, exact, subBuckets)
				}
			}
		})
	}
}

// TestMerge: merging two histograms is recording into one.
func TestMerge(t *testing.T) {
	var a, b, both Histogram
	for i := range 1000 {
		d := time.Duration(i*i) * time.Microsecond
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
		both.Record(d)
	}
	a.Merge(&b)
	if a != both {
		t.Errorf("merged histogram differs from the one that recorded everything")
	}
	if a.Mean() != both.Mean() || a.Quantile(0.5) != both.Quantile(0.5) {
		t.Errorf("mean or median differ after merging")
	}
}

func TestEmptyHistogram(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Max() != 0 || h.Mean() != 0 || h.Count() != 0 {
		t.Errorf("an empty histogram reports non-zero figures")
	}
	h.Record(-time.Second) // a clock step backwards counts as 0
	if h.Quantile(1) != 0 || h.Count() != 1 {
		t.Errorf("negative duration: Quantile(1) = %v, Count = %d; want 0, 1", h.Quantile(1), h.Count())
	}
}
