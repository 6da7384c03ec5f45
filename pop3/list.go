package pop3

import (
	"fmt"
	"strconv"
)

// cmdStat: RFC 1939 §5 STAT, "+OK nn mm": messages not marked deleted and
// their octets.
func (s *session) cmdStat(arg string) error {
	if arg != "" {
		return badf("STAT takes no argument")
	}
	n, size := s.drop.stat()
	return s.ok(fmt.Sprintf("%d %d", n, size))
}

// cmdList: RFC 1939 §5 LIST [msg]. Sizes are the stored sizes: exactly the
// octets RETR sends, before dot-stuffing.
func (s *session) cmdList(arg string) error {
	if arg != "" {
		n, e, err := s.drop.message(arg)
		if err != nil {
			return err
		}
		return s.ok(fmt.Sprintf("%d %d", n, e.size))
	}
	n, size := s.drop.stat()
	s.line(fmt.Sprintf("+OK %d messages (%d octets)", n, size))
	buf := make([]byte, 0, 32)
	for i, e := range s.drop.msgs {
		if e.deleted {
			continue
		}
		buf = strconv.AppendInt(buf[:0], int64(i+1), 10)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, e.size, 10)
		buf = append(buf, '\r', '\n')
		s.bw.Write(buf)
	}
	s.line(".")
	return nil
}
