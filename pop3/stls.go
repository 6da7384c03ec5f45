package pop3

import (
	"crypto/tls"
	"fmt"
	"time"
)

// handshakeTimeout bounds a TLS handshake after STLS.
const handshakeTimeout = 30 * time.Second

// cmdStls: RFC 2595 §4 STLS, allowed only in the AUTHORIZATION state (the
// dispatch table says so).
func (s *session) cmdStls(arg string) error {
	if arg != "" {
		return badf("STLS takes no argument")
	}
	if s.srv.opts.TLSConfig == nil {
		return badf("STLS is not available on this server")
	}
	if s.tls {
		return badf("TLS is already active")
	}
	s.line("+OK begin TLS negotiation")
	if err := s.bw.Flush(); err != nil {
		return &fatalError{err}
	}
	// Anything the client sent after STLS before the handshake is plaintext
	// that an attacker may have injected (CVE-2011-0411 and kin): drop it.
	if n := s.br.Buffered(); n > 0 {
		s.br.Discard(n)
		s.log.Info("pop3 discarded plaintext sent after STLS", "octets", n)
	}
	tc := tls.Server(s.raw, s.srv.opts.TLSConfig)
	s.raw.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := tc.HandshakeContext(s.srv.ctx); err != nil {
		return &fatalError{fmt.Errorf("TLS handshake: %w", err)}
	}
	s.raw.SetDeadline(time.Time{})
	s.setConn(tc)
	s.tls = true
	// RFC 2595 §4: the client discards what it knew; so does the server.
	s.user = ""
	s.log.Debug("pop3 TLS started", "version", tls.VersionName(tc.ConnectionState().Version))
	return nil
}
