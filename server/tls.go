package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"

	"github.com/ferrymail/ferrymail/internal/observe"
	"github.com/ferrymail/ferrymail/server/tlsconf"
)

// StartTLS says whether the plain IMAP and POP3 listeners offer STARTTLS
// (RFC 9051 §6.2.1) and STLS (RFC 2595 §4).
type StartTLS uint8

const (
	// StartTLSAuto offers it whenever the server has a certificate:
	// configured files, or the self-signed one made because an
	// implicit-TLS listener is configured.
	StartTLSAuto StartTLS = iota
	// StartTLSOn always offers it, making a self-signed certificate when
	// no files are configured.
	StartTLSOn
	// StartTLSOff never offers it; implicit-TLS listeners still work.
	StartTLSOff
)

// TLSOptions are the server's TLS settings (Options.TLS).
type TLSOptions struct {
	// CertFile and KeyFile are PEM files (chain leaf first, and its key),
	// re-read whenever Options.Reload receives. Without them, and with
	// TLS asked for (an implicit-TLS address, or StartTLSOn), a
	// self-signed certificate is made in the data directory once and
	// reused (tlsconf.SelfSigned).
	CertFile, KeyFile string
	StartTLS          StartTLS
}

// wantsTLS reports whether the configuration asks for a certificate.
func (s *Server) wantsTLS() bool {
	o := s.opts
	return o.TLS.CertFile != "" || o.IMAPSAddr != "" || o.POP3SAddr != "" || o.TLS.StartTLS == StartTLSOn
}

// loadCertificate returns the server's certificate, or nil when TLS is not
// asked for, and logs its SHA-256 fingerprint so that users can compare it
// with what their client shows.
func (s *Server) loadCertificate() (*tlsconf.Certificate, error) {
	if !s.wantsTLS() {
		return nil, nil
	}
	if s.opts.TLS.CertFile != "" {
		cert, err := tlsconf.Load(s.opts.TLS.CertFile, s.opts.TLS.KeyFile)
		if err != nil {
			return nil, err
		}
		s.logCertificate("TLS certificate loaded", cert)
		return cert, nil
	}
	cert, created, err := tlsconf.SelfSigned(s.opts.DataDir, s.certHosts())
	if err != nil {
		return nil, fmt.Errorf("self-signed TLS certificate: %w", err)
	}
	msg := "TLS certificate: self-signed, reused"
	if created {
		msg = "TLS certificate: self-signed, generated"
	}
	s.logCertificate(msg, cert)
	return cert, nil
}

func (s *Server) logCertificate(msg string, cert *tlsconf.Certificate) {
	file, _ := cert.Files()
	leaf := cert.Leaf()
	s.log.Info(msg, "cert", file, "sha256", cert.Fingerprint(),
		"subject", leaf.Subject.String(), "not_after", leaf.NotAfter.UTC().Format("2006-01-02"))
}

// certHosts are the names a self-signed certificate is made for: this
// machine's name and the hosts of the listen addresses (loopback is always
// added by tlsconf).
func (s *Server) certHosts() []string {
	var hosts []string
	if h, err := os.Hostname(); err == nil {
		hosts = append(hosts, h)
	}
	for _, addr := range []string{s.opts.IMAPAddr, s.opts.POP3Addr, s.opts.IMAPSAddr, s.opts.POP3SAddr} {
		host, _, err := net.SplitHostPort(addr)
		if err != nil || host == "" {
			continue
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			continue
		}
		hosts = append(hosts, host)
	}
	return hosts
}

// reloadOnSignal re-reads the certificate files each time Options.Reload
// receives (SIGHUP from cmd/ferrymail), until ctx ends. Established TLS
// sessions are not touched; new handshakes get the new certificate. A
// file that does not load is logged and the old certificate stays.
func (s *Server) reloadOnSignal(ctx context.Context, cert *tlsconf.Certificate) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.opts.Reload:
		}
		if cert == nil {
			s.log.Info("reload: no TLS certificate to reload")
			continue
		}
		if err := cert.Reload(); err != nil {
			s.log.Error("reload: keeping the TLS certificate in use", "err", err, "sha256", cert.Fingerprint())
			continue
		}
		s.logCertificate("reload: TLS certificate loaded", cert)
	}
}

// listenTLS opens an implicit-TLS listener (RFC 8314 §3.3): the handshake
// comes first, and the connections it accepts are *tls.Conn, which the
// IMAP and POP3 servers treat as secure from the start. The per-address
// limit counts TCP connections under the TLS layer, and refuses with a
// plain close: no handshake has happened to carry a polite line.
func (s *Server) listenTLS(addr string, cfg *tls.Config, proto string, obs observe.Observer) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	closeConn := func(c net.Conn) { c.Close() }
	return tls.NewListener(s.limitListener(ln, proto, closeConn, obs), cfg), nil
}
