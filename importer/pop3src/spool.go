package pop3src

import (
	"bytes"
	"io"
	"os"
)

// spoolMem is how much of a message is held in memory while it waits for
// its batch; a larger message goes to a file in Options.SpoolDir, so that a
// batch of large messages never sits in memory whole.
const spoolMem = 256 << 10

// spool holds one retrieved message: written once, then read once by the
// store.
type spool struct {
	dir  string
	buf  bytes.Buffer
	f    *os.File
	size int64 // bytes as read (LF line ends)
	wire int64 // bytes on the wire: every LF was a CRLF
	r    io.Reader
}

func (s *spool) Write(p []byte) (int, error) {
	s.size += int64(len(p))
	s.wire += int64(len(p) + bytes.Count(p, []byte{'\n'}))
	if s.f == nil && s.buf.Len()+len(p) <= spoolMem {
		return s.buf.Write(p)
	}
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, "ferrymail-pop3-*")
		if err != nil {
			return 0, err
		}
		// Unlinked at once where the system allows it: nothing is left
		// behind if the import is killed.
		os.Remove(f.Name())
		s.f = f
		if _, err := s.buf.WriteTo(f); err != nil {
			return 0, err
		}
	}
	return s.f.Write(p)
}

// ready turns the spool around for reading.
func (s *spool) ready() error {
	if s.f == nil {
		s.r = &s.buf
		return nil
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	s.r = s.f
	return nil
}

func (s *spool) Read(p []byte) (int, error) { return s.r.Read(p) }

// Size lets the importer count the batch's bytes.
func (s *spool) Size() int64 { return s.size }

func (s *spool) Close() error {
	if s.f != nil {
		err := s.f.Close()
		s.f = nil
		return err
	}
	return nil
}
