package structure

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The stored form is a format version byte followed by the message. All
// integers are unsigned varints; strings are a length and their bytes;
// lists are a count and their elements. Part offsets are stored as
// differences: HeaderStart from a base (0 for the top-level body, the
// parent's BodyStart for a first child or an encapsulated body, the previous
// sibling's End otherwise), then BodyStart-HeaderStart and End-BodyStart.
// The invariants Parse guarantees are thereby partly built into the format,
// and the rest are checked on both sides.
const formatVersion = 1

// maxOffset bounds every offset and line count in the stored form, so that
// decoding can add differences without overflow. 4 PiB is no limit for mail.
const maxOffset = 1 << 52

// errInvalid is returned for a structure that breaks the invariants.
var errInvalid = errors.New("invalid message structure")

// MarshalBinary encodes the message structure compactly.
func (m *Message) MarshalBinary() ([]byte, error) {
	e := encoder{b: make([]byte, 0, 256)}
	e.b = append(e.b, formatVersion)
	if err := e.message(m, 0, 0); err != nil {
		return nil, fmt.Errorf("encoding message structure: %w", err)
	}
	return e.b, nil
}

type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *encoder) string(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) params(ps []Param) {
	e.uint(uint64(len(ps)))
	for _, p := range ps {
		e.string(p.Name)
		e.string(p.Value)
	}
}

func (e *encoder) message(m *Message, base int64, depth int) error {
	env := &m.Envelope
	for _, s := range []string{env.Date, env.Subject, env.InReplyTo, env.MessageID} {
		e.string(s)
	}
	for _, l := range [][]Address{env.From, env.Sender, env.ReplyTo, env.To, env.Cc, env.Bcc} {
		e.uint(uint64(len(l)))
		for _, a := range l {
			if a.Kind > AddressGroupEnd {
				return fmt.Errorf("address kind %d: %w", a.Kind, errInvalid)
			}
			e.b = append(e.b, byte(a.Kind))
			e.string(a.Name)
			e.string(a.Adl)
			e.string(a.Mailbox)
			e.string(a.Host)
		}
	}
	return e.part(&m.Body, base, depth)
}

func (e *encoder) part(p *Part, base int64, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nesting deeper than %d: %w", maxDepth, errInvalid)
	}
	if p.HeaderStart < base || p.BodyStart < p.HeaderStart || p.End < p.BodyStart || p.End > maxOffset || p.Lines < 0 || p.Lines > maxOffset {
		return fmt.Errorf("offsets %d %d %d (base %d), lines %d: %w", p.HeaderStart, p.BodyStart, p.End, base, p.Lines, errInvalid)
	}
	e.uint(uint64(p.HeaderStart - base))
	e.uint(uint64(p.BodyStart - p.HeaderStart))
	e.uint(uint64(p.End - p.BodyStart))
	e.uint(uint64(p.Lines))
	e.string(p.Type)
	e.string(p.Subtype)
	e.params(p.Params)
	for _, s := range []string{p.ID, p.Description, p.Encoding, p.MD5, p.Location, p.Disposition} {
		e.string(s)
	}
	e.params(p.DispositionParams)
	e.uint(uint64(len(p.Language)))
	for _, l := range p.Language {
		e.string(l)
	}
	e.uint(uint64(len(p.Children)))
	childBase := p.BodyStart
	for i := range p.Children {
		c := &p.Children[i]
		if err := e.part(c, childBase, depth+1); err != nil {
			return err
		}
		if c.End > p.End {
			return fmt.Errorf("child ends at %d after its parent at %d: %w", c.End, p.End, errInvalid)
		}
		childBase = c.End
	}
	if p.Message == nil {
		e.b = append(e.b, 0)
		return nil
	}
	e.b = append(e.b, 1)
	if p.Message.Body.HeaderStart != p.BodyStart || p.Message.Body.End > p.End {
		return fmt.Errorf("encapsulated message outside its part: %w", errInvalid)
	}
	return e.message(p.Message, p.BodyStart, depth+1)
}
