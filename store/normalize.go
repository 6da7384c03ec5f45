package store

import "io"

// crlfReader normalises line endings once, at ingest: every LF not preceded
// by CR becomes CRLF, so that RFC822.SIZE, the length of BODY[] and the POP3
// octet count (RFC 1939 §11: "the number of octets … counting … CRLF") all
// agree. A CR not followed by LF is left as it is: it is message data, and
// changing it would alter a (malformed) message more than needed.
type crlfReader struct {
	r      io.Reader
	in     []byte
	out    []byte // pending output, a slice of outBuf
	outBuf []byte
	prevCR bool
	err    error
}

func newCRLFReader(r io.Reader) *crlfReader {
	const size = 32 << 10
	return &crlfReader{r: r, in: make([]byte, size), outBuf: make([]byte, 0, 2*size)}
}

func (c *crlfReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		n, err := c.r.Read(c.in)
		c.err = err
		out := c.outBuf[:0]
		for _, b := range c.in[:n] {
			if b == '\n' && !c.prevCR {
				out = append(out, '\r')
			}
			out = append(out, b)
			c.prevCR = b == '\r'
		}
		c.out = out
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}
