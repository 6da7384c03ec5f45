package structure

import (
	"encoding/binary"
	"fmt"
)

// UnmarshalBinary decodes what MarshalBinary encoded. Any malformed or
// truncated input is an error, and so is a structure that breaks the
// offset invariants, so a decoded structure can be trusted.
func (m *Message) UnmarshalBinary(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("decoding message structure: empty input: %w", errInvalid)
	}
	if b[0] != formatVersion {
		return fmt.Errorf("decoding message structure: format version %d: %w", b[0], errInvalid)
	}
	d := decoder{b: b[1:]}
	var out Message
	d.message(&out, 0, 0)
	if d.err == nil && len(d.b) > 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return fmt.Errorf("decoding message structure: %w", d.err)
	}
	*m = out
	return nil
}

// decoder keeps a sticky error: after the first one every read returns
// zero values, so the decoding functions need no error checks of their own.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format+": %w", append(args, errInvalid)...)
	}
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || (n > 1 && d.b[n-1] == 0) {
		// Overlong varints are rejected too, so that every structure has
		// exactly one encoding.
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// offset reads an offset difference or a line count. Each is at most
// maxOffset and so is every absolute offset, so sums cannot overflow.
func (d *decoder) offset() int64 {
	v := d.uint()
	if v > maxOffset {
		d.fail("offset %d too large", v)
		return 0
	}
	return int64(v)
}

// count reads a list length; every element takes at least one byte, so a
// longer list than there are bytes left is malformed.
func (d *decoder) count() int {
	v := d.uint()
	if v > uint64(len(d.b)) {
		d.fail("count %d exceeds input", v)
		return 0
	}
	return int(v)
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) string() string {
	n := d.uint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.fail("string length %d exceeds input", n)
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) params() []Param {
	n := d.count()
	if n == 0 {
		return nil
	}
	ps := make([]Param, n)
	for i := range ps {
		ps[i] = Param{Name: d.string(), Value: d.string()}
	}
	return ps
}

func (d *decoder) addresses() []Address {
	n := d.count()
	if n == 0 {
		return nil
	}
	as := make([]Address, n)
	for i := range as {
		k := AddressKind(d.byte())
		if k > AddressGroupEnd {
			d.fail("address kind %d", k)
		}
		as[i] = Address{Kind: k, Name: d.string(), Adl: d.string(), Mailbox: d.string(), Host: d.string()}
	}
	return as
}

func (d *decoder) message(m *Message, base int64, depth int) {
	env := &m.Envelope
	env.Date, env.Subject, env.InReplyTo, env.MessageID = d.string(), d.string(), d.string(), d.string()
	for _, l := range []*[]Address{&env.From, &env.Sender, &env.ReplyTo, &env.To, &env.Cc, &env.Bcc} {
		*l = d.addresses()
	}
	d.part(&m.Body, base, depth)
}

func (d *decoder) part(p *Part, base int64, depth int) {
	if depth > maxDepth {
		d.fail("nesting deeper than %d", maxDepth)
	}
	if d.err != nil {
		return
	}
	p.HeaderStart = base + d.offset()
	p.BodyStart = p.HeaderStart + d.offset()
	p.End = p.BodyStart + d.offset()
	p.Lines = d.offset()
	if p.End > maxOffset {
		d.fail("offset %d too large", p.End)
	}
	p.Type, p.Subtype = d.string(), d.string()
	p.Params = d.params()
	p.ID, p.Description, p.Encoding, p.MD5, p.Location, p.Disposition = d.string(), d.string(), d.string(), d.string(), d.string(), d.string()
	p.DispositionParams = d.params()
	if n := d.count(); n > 0 {
		p.Language = make([]string, n)
		for i := range p.Language {
			p.Language[i] = d.string()
		}
	}
	if n := d.count(); n > 0 {
		p.Children = make([]Part, n)
		childBase := p.BodyStart
		for i := range p.Children {
			c := &p.Children[i]
			d.part(c, childBase, depth+1)
			if c.End > p.End {
				d.fail("child ends at %d after its parent at %d", c.End, p.End)
			}
			if d.err != nil {
				return
			}
			childBase = c.End
		}
	}
	switch d.byte() {
	case 0:
	case 1:
		p.Message = &Message{}
		d.message(p.Message, p.BodyStart, depth+1)
		if p.Message.Body.HeaderStart != p.BodyStart || p.Message.Body.End > p.End {
			d.fail("encapsulated message outside its part")
		}
	default:
		d.fail("bad message flag")
	}
}
