// Package metrics exposes Ferrymail's Prometheus metrics (issue 7,
// docs/observability.md). Metrics implements observe.Observer, which the
// protocol servers call, so that only this package imports
// client_golang. Every metric lives in a private registry (never the
// global one), so tests and several servers in one process do not collide.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ferrymail/ferrymail/internal/observe"
)

// namespace prefixes every metric name.
const namespace = "ferrymail"

// commandBuckets are the latency histogram's upper bounds in seconds: from
// a flag change answered from memory (100 µs) to a large FETCH or a POP3
// login, which waits for a password hash and, when it fails, for the
// failed-login delay (seconds).
var commandBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Options configure Metrics. Every field may be left zero.
type Options struct {
	// StoreSize reports the store's size on disk: badger's LSM tree and
	// value log, in bytes. Nil leaves the store size metric out.
	StoreSize func() (lsm, vlog int64)
}

// Metrics is the set of Ferrymail metrics and the registry that holds them.
type Metrics struct {
	reg *prometheus.Registry

	connsCurrent  *prometheus.GaugeVec
	connsTotal    *prometheus.CounterVec
	connsRefused  *prometheus.CounterVec
	commands      *prometheus.CounterVec
	cmdDuration   *prometheus.HistogramVec
	logins        *prometheus.CounterVec
	deliveries    *prometheus.CounterVec
	deliveryBytes prometheus.Counter
	importMsgs    *prometheus.CounterVec
	importBytes   prometheus.Counter
}

var _ observe.Observer = (*Metrics)(nil)

// New makes the metrics and registers them, with Go runtime and process
// collectors, in a new registry.
func New(opts Options) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		connsCurrent: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "connections_current",
			Help: "Connections open now, by protocol.",
		}, []string{"proto"}),
		connsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "connections_total",
			Help: "Connections accepted, by protocol.",
		}, []string{"proto"}),
		connsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "connections_refused_total",
			Help: "Connections turned away before a session began, by protocol and reason.",
		}, []string{"proto", "reason"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "commands_total",
			Help: "Commands answered, by protocol, command name and outcome (ok, no, bad, error, dropped; the SMTP reply code for LMTP).",
		}, []string{"proto", "command", "outcome"}),
		cmdDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "command_duration_seconds",
			Help:    "Time taken to answer a command, by protocol and command name.",
			Buckets: commandBuckets,
		}, []string{"proto", "command"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "logins_total",
			Help: "Login attempts, by protocol and outcome (ok, failed, error).",
		}, []string{"proto", "outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "lmtp_deliveries_total",
			Help: "LMTP deliveries, one per recipient, by outcome (ok; error: 4xx, try later; no: 5xx, refused).",
		}, []string{"outcome"}),
		deliveryBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "lmtp_delivered_bytes_total",
			Help: "Bytes of message data delivered by LMTP, counted once per recipient.",
		}),
		importMsgs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "import_messages_total",
			Help: "Messages handled by imports run through the server's admin socket, by outcome.",
		}, []string{"outcome"}),
		importBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "import_bytes_total",
			Help: "Bytes of messages imported through the server's admin socket.",
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.connsCurrent, m.connsTotal, m.connsRefused, m.commands, m.cmdDuration,
		m.logins, m.deliveries, m.deliveryBytes, m.importMsgs, m.importBytes,
	)
	if opts.StoreSize != nil {
		m.reg.MustRegister(newStoreSizeCollector(opts.StoreSize))
	}
	// Series that exist from the start, so that a dashboard shows 0
	// rather than nothing before the first connection.
	for _, p := range []string{observe.IMAP, observe.POP3, observe.LMTP} {
		m.connsCurrent.WithLabelValues(p)
		m.connsTotal.WithLabelValues(p)
	}
	return m
}

// Registry is where the metrics live (for the HTTP handler and tests).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) ConnOpened(proto string) {
	m.connsCurrent.WithLabelValues(proto).Inc()
	m.connsTotal.WithLabelValues(proto).Inc()
}

func (m *Metrics) ConnClosed(proto string) {
	m.connsCurrent.WithLabelValues(proto).Dec()
}

func (m *Metrics) ConnRefused(proto, reason string) {
	m.connsRefused.WithLabelValues(proto, reason).Inc()
}

func (m *Metrics) Command(proto, name, outcome string, d time.Duration) {
	m.commands.WithLabelValues(proto, name, outcome).Inc()
	m.cmdDuration.WithLabelValues(proto, name).Observe(d.Seconds())
}

func (m *Metrics) Login(proto, outcome string) {
	m.logins.WithLabelValues(proto, outcome).Inc()
}

func (m *Metrics) Delivery(outcome string, bytes int64) {
	m.deliveries.WithLabelValues(outcome).Inc()
	if bytes > 0 {
		m.deliveryBytes.Add(float64(bytes))
	}
}

func (m *Metrics) Import(outcome string, messages, bytes int64) {
	if messages > 0 {
		m.importMsgs.WithLabelValues(outcome).Add(float64(messages))
	}
	if bytes > 0 {
		m.importBytes.Add(float64(bytes))
	}
}
