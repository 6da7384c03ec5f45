// Package netutil holds what the protocol servers share about serving a
// net.Listener.
package netutil

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// AcceptOptions describe the server an accept loop belongs to.
type AcceptOptions struct {
	Name    string       // for messages: "pop3", "admin"
	Log     *slog.Logger // receives the retried Accept errors
	Closing func() bool  // reports whether the server is shutting down
	Closed  error        // returned when Accept fails because of a shutdown
}

// AcceptLoop accepts connections on ln and hands each to serve, until serve
// reports false (the server is shutting down) or Accept fails for good:
// Closed after a shutdown, a wrapped net.ErrClosed when ln was closed by
// someone else. Other Accept errors (out of file descriptors and the like)
// are retried after a growing pause, as net/http does, rather than spinning
// or giving up on the socket.
func AcceptLoop(ln net.Listener, o AcceptOptions, serve func(net.Conn) bool) error {
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if o.Closing() {
				return o.Closed
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("accepting %s connections: %w", o.Name, err)
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			o.Log.Warn("accepting "+o.Name+" connection", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if !serve(nc) {
			return o.Closed
		}
	}
}
