package pop3

// cmdCapa: RFC 2449 §5 CAPA. The list depends on the connection, not on the
// state: "Capabilities available in the AUTHORIZATION state MUST be
// announced in both states."
func (s *session) cmdCapa(arg string) error {
	if arg != "" {
		return badf("CAPA takes no argument")
	}
	s.line("+OK capability list follows")
	s.line("TOP")            // RFC 2449 §6.1
	s.line("UIDL")           // RFC 2449 §6.8
	s.line("RESP-CODES")     // RFC 2449 §6.4
	s.line("AUTH-RESP-CODE") // RFC 3206 §6
	s.line("PIPELINING")     // RFC 2449 §6.6
	if s.authAllowed() {
		s.line("USER")       // RFC 2449 §6.2
		s.line("SASL PLAIN") // RFC 2449 §6.3, RFC 5034, RFC 4616
	}
	if s.srv.opts.TLSConfig != nil && !s.tls {
		s.line("STLS") // RFC 2595 §4
	}
	s.line("IMPLEMENTATION " + s.srv.opts.Implementation) // RFC 2449 §6.9
	s.line(".")
	return nil
}
