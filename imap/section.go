package imap

import (
	"bytes"
	"io"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"

	"github.com/ferrymail/ferrymail/store/structure"
)

// maxHeaderRead bounds the header bytes HEADER.FIELDS and SEARCH HEADER
// read into memory. Real headers are a few KiB; a message without a blank
// line is "all header" (structure: BodyStart = End), and must not make us
// read 100 MB to filter it.
const maxHeaderRead = 1 << 20

// span is a section's bytes: a range of the stored message, or bytes built
// for the answer (HEADER.FIELDS).
type span struct {
	off, n int64
	buf    []byte // used when not nil
}

func (sp span) size() int64 {
	if sp.buf != nil {
		return int64(len(sp.buf))
	}
	return sp.n
}

// bodySpan finds a BODY[section] (RFC 9051 §6.4.5) in a message of size
// bytes by the offsets computed at ingest. st may be nil for BODY[] of the
// whole message. A section that does not exist is empty.
func bodySpan(r io.ReaderAt, size int64, st *structure.Message, sec *imap.FetchItemBodySection) (span, error) {
	if len(sec.Part) == 0 && sec.Specifier == imap.PartSpecifierNone {
		return span{off: 0, n: size}, nil // BODY[], RFC822: the stored bytes
	}
	var p *structure.Part
	if len(sec.Part) == 0 {
		p = &st.Body
	} else {
		p = st.Part(sec.Part)
		if p == nil {
			return span{buf: []byte{}}, nil
		}
		switch sec.Specifier {
		case imap.PartSpecifierNone:
			return span{off: p.BodyStart, n: p.End - p.BodyStart}, nil
		case imap.PartSpecifierMIME:
			return span{off: p.HeaderStart, n: p.BodyStart - p.HeaderStart}, nil
		}
		// HEADER, TEXT, HEADER.FIELDS of a part name the encapsulated
		// message of a message/rfc822 part.
		if p.Message == nil {
			return span{buf: []byte{}}, nil
		}
		p = &p.Message.Body
	}
	switch {
	case sec.Specifier == imap.PartSpecifierText:
		return span{off: p.BodyStart, n: p.End - p.BodyStart}, nil
	case len(sec.HeaderFields) > 0 || len(sec.HeaderFieldsNot) > 0:
		h, err := readHeader(r, p)
		if err != nil {
			return span{}, err
		}
		return span{buf: filterHeader(h, sec.HeaderFields, sec.HeaderFieldsNot)}, nil
	default: // HEADER
		return span{off: p.HeaderStart, n: p.BodyStart - p.HeaderStart}, nil
	}
}

func readHeader(r io.ReaderAt, p *structure.Part) ([]byte, error) {
	n := min(p.BodyStart-p.HeaderStart, maxHeaderRead)
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, p.HeaderStart); err != nil && err != io.EOF {
		return nil, err
	}
	return buf, nil
}

// headerFields splits a raw header into fields, each with its continuation
// lines and CRLF. Lines before the first field that are not fields (an
// mbox "From " line) and the blank line are not fields.
func headerFields(h []byte, fn func(name string, raw []byte)) {
	var name string
	start := -1
	emit := func(end int) {
		if start >= 0 && name != "" {
			fn(name, h[start:end])
		}
	}
	for i := 0; i < len(h); {
		j := bytes.IndexByte(h[i:], '\n')
		end := len(h)
		if j >= 0 {
			end = i + j + 1
		}
		line := h[i:end]
		switch {
		case len(line) > 0 && (line[0] == ' ' || line[0] == '\t'):
			// continuation of the current field
		default:
			emit(i)
			start, name = i, ""
			if c := bytes.IndexByte(line, ':'); c > 0 {
				name = strings.TrimRight(string(line[:c]), " \t")
			}
			if len(bytes.TrimRight(line, "\r\n")) == 0 {
				start = -1 // the blank line ends the header
			}
		}
		i = end
	}
	emit(len(h))
}

// filterHeader answers HEADER.FIELDS and HEADER.FIELDS.NOT: the matching
// fields as they are, then the blank line (RFC 9051 §6.4.5).
func filterHeader(h []byte, only, not []string) []byte {
	out := []byte{}
	headerFields(h, func(name string, raw []byte) {
		in := containsFold(only, name)
		if len(only) == 0 {
			in = !containsFold(not, name)
		}
		if in {
			out = append(out, raw...)
			if !bytes.HasSuffix(raw, []byte("\n")) {
				out = append(out, '\r', '\n')
			}
		}
	})
	return append(out, '\r', '\n')
}

// partial applies <origin.size> (RFC 9051 §6.4.5) to a section of n bytes:
// the offset and length to send.
func partial(p *imap.SectionPartial, n int64) (off, size int64) {
	if p == nil {
		return 0, n
	}
	off = min(max(p.Offset, 0), n)
	return off, min(max(p.Size, 0), n-off)
}

// writeSpan copies sp[off:off+n] of the message r to w.
func writeSpan(w io.Writer, r io.ReaderAt, sp span, off, n int64) error {
	if sp.buf != nil {
		_, err := w.Write(sp.buf[off : off+n])
		return err
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	_, err := io.CopyBuffer(w, struct{ io.Reader }{io.NewSectionReader(r, sp.off+off, n)}, *bp)
	return err
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
