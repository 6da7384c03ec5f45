package imapsrc

import (
	"io"

	"github.com/ferrymail/ferrymail/importer/spool"
)

// spoolMem is how much of one literal is held in memory; a larger message
// body goes to a file in the spool directory, so that a batch of large
// messages never sits in memory whole.
const spoolMem = 1 << 20

// newSpool makes the holder of one literal received from the server.
func newSpool(dir string) *spool.Body {
	return spool.New(dir, "ferrymail-imap-*", spoolMem)
}

// concat is a message put together from parts fetched one by one
// (BODY.PEEK[HEADER] then BODY.PEEK[TEXT]).
type concat struct {
	parts []*spool.Body
	r     io.Reader
	size  int64
}

func newConcat(parts ...*spool.Body) *concat {
	c := &concat{parts: parts}
	rs := make([]io.Reader, len(parts))
	for i, p := range parts {
		rs[i] = p
		c.size += p.Size()
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
