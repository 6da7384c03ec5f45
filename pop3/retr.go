package pop3

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ferrymail/ferrymail/store"
)

// copyBufferSize is the chunk in which message bytes are read from the
// store; a message is never held whole in memory.
const copyBufferSize = 32 << 10

// openMessage opens a message of the snapshot for reading.
func (s *session) openMessage(n int, e *entry) (*store.MessageReader, error) {
	r, err := s.srv.store.OpenMessage(s.srv.ctx, s.account.ID, s.drop.mailbox, e.uid)
	if errors.Is(err, store.ErrMessageNotFound) {
		// Expunged by an IMAP session since the snapshot was taken.
		return nil, errorf("message %d was removed by another session", n)
	}
	if err != nil {
		return nil, fmt.Errorf("opening message %d (UID %d): %w", n, e.uid, err)
	}
	return r, nil
}

// cmdRetr: RFC 1939 §5 RETR msg. The octet count in the +OK line is the
// stored size, exactly what follows before dot-stuffing; the bytes are
// streamed from the store through a DotWriter, which byte-stuffs lines
// starting with "." and ends with CRLF "." CRLF.
func (s *session) cmdRetr(arg string) error {
	n, e, err := s.drop.message(arg)
	if err != nil {
		return err
	}
	r, err := s.openMessage(n, e)
	if err != nil {
		return err
	}
	defer r.Close()
	s.line(fmt.Sprintf("+OK %d octets", e.size))
	if s.copyBuf == nil {
		s.copyBuf = make([]byte, copyBufferSize)
	}
	dw := &dotStuffer{w: s.bw}
	// Only Read is passed on, so that io.CopyBuffer uses copyBuf.
	if _, err := io.CopyBuffer(dw, struct{ io.Reader }{r}, s.copyBuf); err != nil {
		return &fatalError{fmt.Errorf("sending message %d: %w", n, err)}
	}
	if err := dw.Close(); err != nil {
		return &fatalError{fmt.Errorf("sending message %d: %w", n, err)}
	}
	s.retrieved++
	return nil
}

// cmdTop: RFC 1939 §7 TOP msg n: the header, the blank line after it, and
// the first n lines of the body (all of it when shorter), dot-stuffed.
func (s *session) cmdTop(arg string) error {
	msgArg, linesArg, ok := strings.Cut(arg, " ")
	if !ok {
		return badf("TOP needs a message number and a number of lines")
	}
	lines, ok := parseNumber(linesArg)
	if !ok {
		return badf("invalid number of lines %q", truncate(linesArg))
	}
	n, e, err := s.drop.message(msgArg)
	if err != nil {
		return err
	}
	r, err := s.openMessage(n, e)
	if err != nil {
		return err
	}
	defer r.Close()
	s.line("+OK top of message follows")
	if s.topRd == nil {
		s.topRd = bufio.NewReaderSize(r, copyBufferSize)
	} else {
		s.topRd.Reset(r)
	}
	dw := &dotStuffer{w: s.bw}
	if err := writeTop(dw, s.topRd, lines); err != nil {
		return &fatalError{fmt.Errorf("sending top of message %d: %w", n, err)}
	}
	if err := dw.Close(); err != nil {
		return &fatalError{fmt.Errorf("sending top of message %d: %w", n, err)}
	}
	s.topRd.Reset(nil)
	return nil
}

// writeTop copies the header, the blank line and up to lines body lines
// from r to w, line by line (long lines in pieces, never whole).
func writeTop(w io.Writer, r *bufio.Reader, lines int) error {
	body := -1 // -1 in the header; then the body lines written
	lineLen := 0
	for body < lines {
		chunk, err := r.ReadSlice('\n')
		if len(chunk) > 0 {
			if _, werr := w.Write(chunk); werr != nil {
				return werr
			}
		}
		switch {
		case err == nil: // a line ended
			if body >= 0 {
				body++
			} else if lineLen == 0 && (string(chunk) == "\r\n" || string(chunk) == "\n") {
				body = 0
			}
			lineLen = 0
		case errors.Is(err, bufio.ErrBufferFull):
			lineLen += len(chunk)
		case errors.Is(err, io.EOF):
			return nil
		default:
			return err
		}
	}
	return nil
}
