package pop3

import "fmt"

// cmdDele: RFC 1939 §5 DELE msg only marks the message; it is removed in
// the UPDATE state, after QUIT.
func (s *session) cmdDele(arg string) error {
	n, e, err := s.drop.message(arg)
	if err != nil {
		return err
	}
	e.deleted = true
	return s.ok(fmt.Sprintf("message %d deleted", n))
}

// cmdRset: RFC 1939 §5 RSET unmarks every message marked deleted.
func (s *session) cmdRset(arg string) error {
	if arg != "" {
		return badf("RSET takes no argument")
	}
	for i := range s.drop.msgs {
		s.drop.msgs[i].deleted = false
	}
	n, size := s.drop.stat()
	return s.ok(fmt.Sprintf("maildrop has %d messages (%d octets)", n, size))
}
