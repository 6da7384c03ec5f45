package structure

import (
	"bufio"
	"errors"
	"io"
)

// line is one line of the message as lineReader returns it.
type line struct {
	start int64 // offset of the first byte of the line
	idx   int64 // 0-based index of the line in the message
	// text is the content without the line terminator, cut to the keep
	// length given to readLine. It is valid until the next readLine.
	text []byte
	// cut reports that content beyond text was dropped; tailWS then
	// reports whether all dropped bytes were whitespace.
	cut, tailWS bool
	term        int  // terminator length: 2 CRLF, 1 bare LF, 0 at end of input
	empty       bool // the content is empty: a blank line when term > 0

	// prevTerm and prevEmpty describe the line before this one; a
	// delimiter needs them to give the CRLF before it to itself.
	prevTerm  int
	prevEmpty bool
}

// lineReader splits the input into lines terminated by LF or CRLF, keeping
// track of offsets and line numbers. It never holds more than one line's
// kept prefix, so arbitrarily long lines cost no memory.
type lineReader struct {
	br  *bufio.Reader
	off int64 // offset of the next unread byte
	n   int64 // index of the next line
	buf []byte
	err error // sticky read error; io.EOF is not an error here
	eof bool

	lastTerm  int
	lastEmpty bool
}

func newLineReader(r io.Reader, bufSize int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, bufSize)}
}

// readLine returns the next line, keeping at most keep bytes of its
// content. It returns false at the end of the input or on a read error.
func (lr *lineReader) readLine(keep int) (line, bool) {
	if lr.eof || lr.err != nil {
		return line{}, false
	}
	l := line{start: lr.off, idx: lr.n, prevTerm: lr.lastTerm, prevEmpty: lr.lastEmpty}
	var clen int64 // content bytes seen, including a CR that may end up in the terminator
	lastCR := false
	first := true
	for {
		chunk, err := lr.br.ReadSlice('\n')
		lr.off += int64(len(chunk))
		gotLF := err == nil
		data := chunk
		if gotLF {
			data = data[:len(data)-1]
		}
		if first && gotLF {
			// The common case: the whole line is in the buffer, use it in
			// place.
			l.text = data
			if len(l.text) > keep {
				l.text, l.cut, l.tailWS = l.text[:keep], true, allWS(l.text[keep:])
			}
		} else {
			if first {
				lr.buf = lr.buf[:0]
				l.text = nil
				l.tailWS = true
			}
			room := keep - len(lr.buf)
			take := min(max(room, 0), len(data))
			lr.buf = append(lr.buf, data[:take]...)
			if take < len(data) {
				l.cut = true
				l.tailWS = l.tailWS && allWS(data[take:])
			}
			l.text = lr.buf
		}
		first = false
		if len(data) > 0 {
			clen += int64(len(data))
			lastCR = data[len(data)-1] == '\r'
		}
		if gotLF {
			l.term = 1
			if lastCR {
				// RFC 5322 §2.1: lines end in CRLF; a bare LF is accepted too.
				l.term = 2
				clen--
				if l.cut {
					// The CR was among the dropped bytes; if it was the only
					// one, nothing of the content is missing.
					l.cut = int64(len(l.text)) < clen
				} else {
					l.text = l.text[:len(l.text)-1]
				}
			}
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			lr.eof = true
		} else {
			lr.err = err
		}
		if clen == 0 {
			return line{}, false
		}
		break
	}
	l.empty = clen == 0
	if !l.cut {
		l.tailWS = true
	}
	lr.n++
	lr.lastTerm, lr.lastEmpty = l.term, l.empty
	return l, true
}

// allWS reports whether b holds only transport padding: SP, HTAB, and stray
// CR (RFC 2046 §5.1.1 transport-padding is LWSP; a CR is tolerated).
func allWS(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
