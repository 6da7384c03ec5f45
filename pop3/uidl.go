package pop3

import (
	"strconv"
)

// cmdUidl: RFC 1939 §7 UIDL [msg]. The UIDLs are the stored ones, byte for
// byte: an imported message keeps the UIDL its legacy server served, so a
// "leave mail on server" client downloads nothing again.
func (s *session) cmdUidl(arg string) error {
	if arg != "" {
		n, e, err := s.drop.message(arg)
		if err != nil {
			return err
		}
		return s.ok(strconv.Itoa(n) + " " + e.uidl)
	}
	s.line("+OK unique-id listing follows")
	buf := make([]byte, 0, 96)
	for i, e := range s.drop.msgs {
		if e.deleted {
			continue
		}
		buf = strconv.AppendInt(buf[:0], int64(i+1), 10)
		buf = append(buf, ' ')
		buf = append(buf, e.uidl...)
		buf = append(buf, '\r', '\n')
		s.bw.Write(buf)
	}
	s.line(".")
	return nil
}
