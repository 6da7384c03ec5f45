package metrics

import (
	"context"
	"fmt"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultHealthTimeout bounds the health check's store read: a store that
// takes longer than this to answer one key is reported unhealthy.
const DefaultHealthTimeout = 2 * time.Second

// HandlerOptions configure the admin HTTP handler.
type HandlerOptions struct {
	// Health checks that the server can serve mail (a cheap store read);
	// nil means always healthy.
	Health func(context.Context) error
	// HealthTimeout: 0 means DefaultHealthTimeout.
	HealthTimeout time.Duration
	// Pprof mounts net/http/pprof under /debug/pprof/. Profiles show
	// memory contents and cost CPU: for a loopback listener only.
	Pprof bool
}

// Handler serves /metrics, /healthz and, when asked, /debug/pprof/ on a
// ServeMux of its own (never http.DefaultServeMux, where any imported
// package may have added handlers).
func (m *Metrics) Handler(opts HandlerOptions) http.Handler {
	if opts.HealthTimeout <= 0 {
		opts.HealthTimeout = DefaultHealthTimeout
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	mux.Handle("GET /healthz", healthHandler(opts.Health, opts.HealthTimeout))
	if opts.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// healthHandler answers 200 "ok" when check returns nil within timeout,
// and 503 with the reason otherwise. The check runs in its own goroutine:
// a store stuck in a read must not hang the health check too.
func healthHandler(check func(context.Context) error, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if check == nil {
			fmt.Fprintln(w, "ok")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- check(ctx) }()
		var err error
		select {
		case err = <-errc:
		case <-ctx.Done():
			err = fmt.Errorf("no answer within %v", timeout)
		}
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "unhealthy: store: %v\n", err)
			return
		}
		fmt.Fprintln(w, "ok")
	})
}

// NewHTTPServer returns the admin HTTP server for h, with timeouts so that
// a slow client cannot hold a connection open (a CPU profile takes its
// "seconds" parameter, 30 by default, so writes get more).
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
}
