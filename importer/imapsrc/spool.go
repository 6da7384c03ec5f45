package imapsrc

import (
	"bytes"
	"io"
	"os"
)

// spoolMem is how much of one literal is held in memory; a larger message
// body goes to a file in the spool directory, so that a batch of large
// messages never sits in memory whole.
const spoolMem = 1 << 20

// spool holds one literal received from the server: written once, then
// read once (by the store, or by the parser for a short string).
type spool struct {
	dir  string
	buf  bytes.Buffer
	f    *os.File
	size int64
	r    io.Reader
}

func (s *spool) Write(p []byte) (int, error) {
	s.size += int64(len(p))
	if s.f == nil && s.buf.Len()+len(p) <= spoolMem {
		return s.buf.Write(p)
	}
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, "ferrymail-imap-*")
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
		s.r = bytes.NewReader(s.buf.Bytes())
		return nil
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	s.r = s.f
	return nil
}

func (s *spool) Read(p []byte) (int, error) {
	if s.r == nil {
		return 0, io.EOF
	}
	return s.r.Read(p)
}

// Size lets the importer count the batch's bytes.
func (s *spool) Size() int64 { return s.size }

// Close releases the file, if any; closing twice is harmless.
func (s *spool) Close() error {
	if s.f != nil {
		err := s.f.Close()
		s.f = nil
		s.r = nil
		return err
	}
	return nil
}

// concat is a message put together from parts fetched one by one
// (BODY.PEEK[HEADER] then BODY.PEEK[TEXT]).
type concat struct {
	parts []*spool
	r     io.Reader
	size  int64
}

func newConcat(parts ...*spool) *concat {
	c := &concat{parts: parts}
	rs := make([]io.Reader, len(parts))
	for i, p := range parts {
		rs[i] = p
		c.size += p.size
	}
	c.r = io.MultiReader(rs...)
	return c
}

func (c *concat) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *concat) Size() int64                { return c.size }
func (c *concat) Close() error {
	for _, p := range c.parts {
		p.Close()
	}
	return nil
}
