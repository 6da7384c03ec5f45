package loadgen

import (
	"math/bits"
	"time"
)

// Histogram records latencies in bounded memory, in the manner of HDR
// histograms: values (in microseconds) below subBuckets are exact, and each
// power of two above is split into subBuckets equal parts, so that every
// recorded value is known to within 1/subBuckets (about 1.6 %) however long
// the run. A run of hours keeps the same few kilobytes.
type Histogram struct {
	counts [numBuckets]uint64
	total  uint64
	max    uint64 // microseconds, exact
	sum    uint64 // microseconds, for the mean
}

const (
	subBucketBits = 6
	subBuckets    = 1 << subBucketBits // 64: the resolution, 1/64 of a value
	// maxExponent bounds the range: 64 << 36 µs is about 50 days, far
	// beyond any command's latency; longer values land in the last bucket.
	maxExponent = 36
	numBuckets  = subBuckets + maxExponent*subBuckets
)

// bucketOf returns the bucket of a value in microseconds.
func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	exp := bits.Len64(v) - subBucketBits - 1 // v>>exp is in [subBuckets, 2*subBuckets)
	if exp >= maxExponent {
		return numBuckets - 1
	}
	return subBuckets + exp*subBuckets + int(v>>exp) - subBuckets
}

// bucketBounds returns the smallest and largest value of bucket i.
func bucketBounds(i int) (lo, hi uint64) {
	if i < subBuckets {
		return uint64(i), uint64(i)
	}
	exp := (i - subBuckets) / subBuckets
	sub := uint64((i-subBuckets)%subBuckets + subBuckets)
	lo = sub << exp
	return lo, lo + (uint64(1) << exp) - 1
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d.Microseconds(), 0))
	h.counts[bucketOf(v)]++
	h.total++
	h.sum += v
	h.max = max(h.max, v)
}

// Merge adds every value recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// Count returns how many values were recorded.
func (h *Histogram) Count() uint64 { return h.total }

// Max returns the largest value recorded, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) * time.Microsecond }

// Mean returns the mean of the values recorded (0 when there are none).
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum/h.total) * time.Microsecond
}

// Quantile returns the value below or at which a fraction q (0 < q <= 1)
// of the recorded values lie: the upper bound of the bucket that holds the
// value of rank ceil(q*count), so never an underestimate by more than the
// bucket's width, and never above Max.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.999999)
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketBounds(i)
			return time.Duration(min(hi, h.max)) * time.Microsecond
		}
	}
	return h.Max()
}
