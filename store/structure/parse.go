package structure

import (
	"fmt"
	"io"
	"math"
)

// Parse reads a whole message once from r and returns its structure. It
// streams: it never holds more than one header line and the capped header
// fields it keeps; bodies are scanned line by line. It never rejects a
// message: malformed mail gets some valid structure. The only errors are
// read errors from r.
func Parse(r io.Reader) (*Message, error) {
	return parse(r, readBufferSize)
}

// parse is Parse with a chosen read buffer size, so that tests can make
// lines straddle buffer refills.
func parse(r io.Reader, bufSize int) (*Message, error) {
	p := &parser{lr: newLineReader(r, bufSize), budget: maxKeptHeaderBytes}
	m := &Message{}
	m.Body, _ = p.entity(entityOptions{envelope: &m.Envelope})
	if p.lr.err != nil {
		return nil, fmt.Errorf("reading message: %w", p.lr.err)
	}
	return m, nil
}

// parser holds the state of one Parse call.
type parser struct {
	lr     *lineReader
	bounds [][]byte // "--" + boundary of each enclosing multipart, outermost first
	parts  int      // entities created so far, against maxParts
	budget int      // header bytes that may still be kept, see maxKeptHeaderBytes
}

// stopKind says what ended a body.
type stopKind uint8

const (
	stopEOF   stopKind = iota // end of input
	stopDelim                 // a delimiter line "--boundary"
	stopClose                 // a close delimiter line "--boundary--"
)

// stop is the line that ended a body: the end of input or a delimiter of
// one of the enclosing multiparts. Every entity that the line ends shares
// it, so they all end at the same offset.
type stop struct {
	kind  stopKind
	level int   // index into parser.bounds of the multipart the delimiter belongs to
	off   int64 // offset of the delimiter line, or of the end of input
	idx   int64 // index of the delimiter line, or the number of lines at end of input
	// prevTerm and prevEmpty describe the line before the delimiter, whose
	// terminator is part of the delimiter (RFC 2046 §5.1.1).
	prevTerm  int
	prevEmpty bool
}

// next returns the next line, or the stop it is.
func (p *parser) next(keep int) (line, stop, bool) {
	l, ok := p.lr.readLine(keep)
	if !ok {
		return line{}, stop{kind: stopEOF, off: p.lr.off, idx: p.lr.n}, true
	}
	if len(p.bounds) > 0 && len(l.text) >= 2 && l.text[0] == '-' && l.text[1] == '-' {
		// The innermost multipart is tried first, so that an inner boundary
		// that merely starts like an outer one is not taken for it.
		for k := len(p.bounds) - 1; k >= 0; k-- {
			if kind := matchDelimiter(l, p.bounds[k]); kind != stopEOF {
				return l, stop{kind: kind, level: k, off: l.start, idx: l.idx, prevTerm: l.prevTerm, prevEmpty: l.prevEmpty}, true
			}
		}
	}
	return l, stop{}, false
}

// skipBody reads lines up to the next stop.
func (p *parser) skipBody() stop {
	for {
		if _, st, isStop := p.next(bodyLineKeep); isStop {
			return st
		}
	}
}

// entityOptions says how to read one entity.
type entityOptions struct {
	depth int
	// digest: the entity is a body part of a multipart/digest, so its
	// default type is message/rfc822 (RFC 2046 §5.1.5).
	digest bool
	// envelope, when not nil, receives the envelope: the entity is a message.
	envelope *Envelope
}

// entity reads one entity, header and body, up to the stop that ends it.
func (p *parser) entity(o entityOptions) (Part, stop) {
	p.parts++
	part := Part{HeaderStart: p.lr.off}
	h, st, blank := p.header()
	p.contentFields(&part, &h, o.digest)
	if o.envelope != nil {
		*o.envelope = envelopeOf(&h)
	}
	if !blank {
		// No blank line: the header ran into a delimiter or the end, and
		// there is no body.
		part.BodyStart = math.MaxInt64
		p.finish(&part, st, st.idx)
		if part.isMessage() && !encoded(part.Encoding) && o.depth < maxDepth && p.parts < maxParts {
			p.parts++
			part.Message = emptyMessage(part.BodyStart)
		}
		return part, st
	}
	part.BodyStart = p.lr.off
	bodyFirst := p.lr.n
	switch {
	case p.parts >= maxParts || o.depth >= maxDepth:
		st = p.skipBody()
	case part.Type == "multipart":
		st = p.multipart(&part, o.depth)
	case part.isMessage() && !encoded(part.Encoding):
		// RFC 2046 §5.2.1: the body is a message, read as one.
		m := &Message{}
		m.Body, st = p.entity(entityOptions{depth: o.depth + 1, envelope: &m.Envelope})
		part.Message = m
	default:
		st = p.skipBody()
	}
	p.finish(&part, st, bodyFirst)
	return part, st
}

// finish sets End and Lines from the stop that ended the entity, and pulls
// HeaderStart and BodyStart back to End where the delimiter took the CRLF
// they would otherwise include.
func (p *parser) finish(part *Part, st stop, bodyFirst int64) {
	end := st.off
	lines := st.idx - bodyFirst
	if st.kind != stopEOF {
		// RFC 2046 §5.1.1: "The CRLF preceding the boundary delimiter line
		// is conceptually attached to the boundary".
		end -= int64(st.prevTerm)
		if lines > 0 && st.prevEmpty {
			lines-- // the last body line was empty and lost its terminator
		}
	}
	part.HeaderStart = min(part.HeaderStart, end)
	part.BodyStart = min(max(part.BodyStart, part.HeaderStart), end)
	part.End = end
	part.Lines = max(lines, 0)
}

func (part *Part) isMessage() bool {
	// RFC 6532 §3.7: message/global is message/rfc822 with UTF-8 headers.
	return part.Type == "message" && (part.Subtype == "rfc822" || part.Subtype == "global")
}

// encoded reports a transfer encoding that hides the structure of an
// encapsulated message; RFC 2046 §5.2.1 forbids it, but it is seen.
func encoded(enc string) bool {
	return enc == "base64" || enc == "quoted-printable"
}

// emptyMessage is the encapsulated message of a message/rfc822 part with
// no body: an empty message is still a message, with an (empty) envelope
// for the IMAP layer to show.
func emptyMessage(at int64) *Message {
	return &Message{Body: Part{
		HeaderStart: at, BodyStart: at, End: at,
		Type: "text", Subtype: "plain", Params: defaultTextParams(), Encoding: "7bit",
	}}
}
