package pop3src

import (
	"bytes"
	"io"

	"github.com/ferrymail/ferrymail/importer/spool"
)

// spoolMem is how much of a message is held in memory while it waits for
// its batch; a larger message goes to a file in Options.SpoolDir, so that a
// batch of large messages never sits in memory whole.
const spoolMem = 256 << 10

// newSpool makes the holder of one retrieved message: written once, then
// read once by the store.
func newSpool(dir string) *spool.Body {
	return spool.New(dir, "ferrymail-pop3-*", spoolMem)
}

// wireCounter counts the octets a RETR answer took on the wire while
// DotReader gives it with LF line ends: every LF was a CRLF.
type wireCounter struct {
	r    io.Reader
	wire int64
}

func (w *wireCounter) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.wire += int64(n + bytes.Count(p[:n], []byte{'\n'}))
	return n, err
}
