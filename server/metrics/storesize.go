package metrics

import "github.com/prometheus/client_golang/prometheus"

// storeSizeCollector reports the store's size on disk at each scrape, by
// part: "lsm" (badger's LSM tree: keys, message records, small values) and
// "vlog" (its value log: message bodies). One call of size serves both
// series.
type storeSizeCollector struct {
	size func() (lsm, vlog int64)
	desc *prometheus.Desc
}

func newStoreSizeCollector(size func() (lsm, vlog int64)) *storeSizeCollector {
	return &storeSizeCollector{size: size, desc: prometheus.NewDesc(
		namespace+"_store_size_bytes",
		"Size of the store on disk, by part (lsm, vlog), as badger last measured it (it does so every minute).",
		[]string{"part"}, nil)}
}

func (c *storeSizeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *storeSizeCollector) Collect(ch chan<- prometheus.Metric) {
	lsm, vlog := c.size()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(lsm), "lsm")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(vlog), "vlog")
}
