package server

import (
	"fmt"
	"net"

	"github.com/ferrymail/ferrymail/internal/observe"
	"github.com/ferrymail/ferrymail/server/metrics"
	"github.com/ferrymail/ferrymail/store"
)

// listenMetrics opens the admin HTTP listener (Options.MetricsAddr:
// /metrics, /healthz, and /debug/pprof/ with Options.Pprof) and returns
// the observer the protocol servers report to. Without an address there
// are no metrics: it returns a nil observer and no listener.
func (s *Server) listenMetrics(st *store.Store) (observe.Observer, *listener, error) {
	if s.opts.MetricsAddr == "" {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", s.opts.MetricsAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("listening for metrics on %s: %w", s.opts.MetricsAddr, err)
	}
	// Logged as bound, so that ":0" can be found out (as for IMAP, POP3).
	s.log.Info("listening", "service", "metrics", "addr", ln.Addr().String(), "pprof", s.opts.Pprof)
	if s.opts.Pprof && !isLoopbackAddr(ln.Addr()) {
		s.log.Warn("pprof is served on a non-loopback address: profiles reveal memory contents", "addr", ln.Addr().String())
	}
	m := metrics.New(metrics.Options{StoreSize: st.DiskSize})
	h := m.Handler(metrics.HandlerOptions{Health: st.Ping, Pprof: s.opts.Pprof})
	return m, &listener{name: "metrics", srv: metrics.NewHTTPServer(h), ln: ln}, nil
}

func isLoopbackAddr(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
