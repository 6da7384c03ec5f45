// Package remote holds what the importer's clients of a legacy server
// share, whichever protocol they speak (importer/pop3src, importer/imapsrc,
// importer/verify): how the connection is secured (TLSMode), the first
// step of dialling it, and the password file an operator hands over
// instead of a password on the command line.
package remote

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
)

// TLSMode is how the connection is secured.
type TLSMode uint8

const (
	TLSNone     TLSMode = iota // plain text (loopback, test servers)
	TLSStartTLS                // STARTTLS (RFC 9051 §6.2.1) or STLS (RFC 2595 §4) after the greeting
	TLSImplicit                // TLS from the first byte (IMAPS 993, POP3S 995; RFC 8314)
)

// ParseTLSMode reads "none", "starttls" or "implicit" ("" is none).
func ParseTLSMode(s string) (TLSMode, error) {
	switch s {
	case "none", "":
		return TLSNone, nil
	case "starttls":
		return TLSStartTLS, nil
	case "implicit":
		return TLSImplicit, nil
	}
	return 0, fmt.Errorf("TLS mode %q: want none, starttls or implicit", s)
}

func (m TLSMode) String() string {
	switch m {
	case TLSNone:
		return "none"
	case TLSStartTLS:
		return "starttls"
	case TLSImplicit:
		return "implicit"
	}
	return fmt.Sprintf("TLSMode(%d)", uint8(m))
}

// TLSConfig is the client configuration for the server at addr
// (host:port): its name checked against the certificate unless insecure.
func TLSConfig(addr string, insecure bool) *tls.Config {
	host, _, _ := net.SplitHostPort(addr)
	return &tls.Config{ServerName: host, InsecureSkipVerify: insecure} //nolint:gosec // asked for, for self-signed legacy servers
}

// DialFunc opens a TCP connection, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Dial connects to addr with dial (nil: a net.Dialer's DialContext) and,
// in TLSImplicit mode, wraps the connection in TLS at once (the handshake
// happens on the first read or write). The TLS configuration comes back
// too, for a STARTTLS later on the same connection. A failure to connect
// is returned as the dialler gave it: the caller says what it was
// connecting to.
func Dial(ctx context.Context, dial DialFunc, addr string, mode TLSMode, insecure bool) (net.Conn, *tls.Config, error) {
	if dial == nil {
		var nd net.Dialer
		dial = nd.DialContext
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	tlsConf := TLSConfig(addr, insecure)
	if mode == TLSImplicit {
		conn = tls.Client(conn, tlsConf)
	}
	return conn, tlsConf, nil
}
