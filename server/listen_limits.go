package server

import (
	"net"
	"os"

	"github.com/ferrymail/ferrymail/internal/limits"
	"github.com/ferrymail/ferrymail/internal/netutil"
	"github.com/ferrymail/ferrymail/internal/observe"
)

// Refusals for a connection over Options.Limits.MaxConnectionsPerIP,
// written before the protocol's greeting would be and followed by a close.
var (
	// RFC 9051 §7.1.5: BYE may be the greeting. RFC 5530 §3 UNAVAILABLE:
	// a temporary failure, try later.
	refuseIMAP = netutil.RefuseLine("* BYE [UNAVAILABLE] Too many connections from your address, try again later\r\n")
	// RFC 3206 §4 SYS/TEMP: a temporary condition. ([IN-USE] of RFC 2449
	// §8.1.1 is for a locked maildrop after a login, which this is not.)
	refusePOP3 = netutil.RefuseLine("-ERR [SYS/TEMP] too many connections from your address, try again later\r\n")
)

// refuseLMTP: RFC 5321 §3.8 and §4.2.3, "421 <domain> Service not
// available, closing transmission channel" as the greeting; the MTA keeps
// the mail queued and retries (RFC 3463 4.7.0: a temporary security or
// policy status).
func refuseLMTP() func(net.Conn) {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	return netutil.RefuseLine("421 4.7.0 " + host + " Too many connections, try again later\r\n")
}

// limitListener applies MaxConnectionsPerIP to one TCP listener of proto,
// before any TLS; each listener counts its own connections. The one too
// many gets refuse (nil: a plain close, as on an implicit-TLS listener,
// where no line can be written before the handshake), and is reported to
// obs. Every accepted connection is also a netutil.IdleConn, under the TLS
// if there is one: IMAP's Shutdown sees which sessions wait for a command,
// and every server's last word is followed by a close without a reset.
func (s *Server) limitListener(ln net.Listener, proto string, refuse func(net.Conn), obs observe.Observer) net.Listener {
	if refuse == nil {
		refuse = func(c net.Conn) { c.Close() }
	}
	obs = observe.OrNop(obs)
	ln = netutil.LimitListener(ln, limits.NewCounter(s.opts.Limits.MaxConnectionsPerIP), func(c net.Conn) {
		obs.ConnRefused(proto, "limit")
		refuse(c)
	})
	return netutil.TrackIdleListener(ln)
}
