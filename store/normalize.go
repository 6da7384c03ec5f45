package store

import (
	"bytes"
	"io"
	"sync"
)

// crlfReader normalises line endings once, at ingest: every LF not preceded
// by CR becomes CRLF, so that RFC822.SIZE, the length of BODY[] and the POP3
// octet count (RFC 1939 §11: "the number of octets … counting … CRLF") all
// agree. A CR not followed by LF is left as it is: it is message data, and
// changing it would alter a (malformed) message more than needed.
type crlfReader struct {
	r      io.Reader
	buf    *crlfBuffers
	out    []byte // pending output, a slice of buf.out
	prevCR bool
	err    error
}

// crlfBuffers are pooled: an ingest of a small message would otherwise spend
// more time allocating and zeroing them than normalising.
type crlfBuffers struct{ in, out []byte }

const crlfChunk = 16 << 10

var crlfPool = sync.Pool{New: func() any {
	return &crlfBuffers{in: make([]byte, crlfChunk), out: make([]byte, 0, 2*crlfChunk)}
}}

func newCRLFReader(r io.Reader) *crlfReader {
	return &crlfReader{r: r, buf: crlfPool.Get().(*crlfBuffers)}
}

// release returns the buffers to the pool; the reader must not be used after.
func (c *crlfReader) release() {
	if c.buf != nil {
		crlfPool.Put(c.buf)
		c.buf, c.out = nil, nil
	}
}

func (c *crlfReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		n, err := c.r.Read(c.buf.in)
		c.err = err
		c.out = c.normalise(c.buf.out[:0], c.buf.in[:n])
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// normalise appends in to out with bare LFs turned into CRLF, copying the
// runs between LFs whole.
func (c *crlfReader) normalise(out, in []byte) []byte {
	for len(in) > 0 {
		i := bytes.IndexByte(in, '\n')
		if i < 0 {
			out = append(out, in...)
			c.prevCR = in[len(in)-1] == '\r'
			return out
		}
		cr := c.prevCR
		if i > 0 {
			cr = in[i-1] == '\r'
		}
		out = append(out, in[:i]...)
		if !cr {
			out = append(out, '\r')
		}
		out = append(out, '\n')
		c.prevCR = false
		in = in[i+1:]
	}
	return out
}
