// Package mbox is the importer's mbox source: mbox files as UW-IMAP
// (c-client), Dovecot and Pine keep them, with the identifiers and flags
// those servers store in headers (X-IMAPbase, X-IMAP, X-UID, Status,
// X-Status, X-Keywords; LEGACY-FORMATS.md §b.3), and the X-UIDL header
// that qpopper-style servers served as the UIDL.
//
// The reader streams: it holds one message's header in memory, never a
// whole mailbox, and gives the body as a reader.
package mbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Quoting says how body lines that were escaped because they looked like
// From_ lines are read back.
type Quoting int

const (
	// QuoteNone keeps ">From " lines as they are: what Dovecot and UW-IMAP
	// serve to their clients, so that sizes and bytes match.
	QuoteNone Quoting = iota
	// QuoteMboxO removes one ">" from lines that start with ">From ".
	QuoteMboxO
	// QuoteMboxRD removes one ">" from lines that start with ">+From ".
	QuoteMboxRD
)

// ParseQuoting reads "none", "mboxo" or "mboxrd".
func ParseQuoting(s string) (Quoting, error) {
	switch strings.ToLower(s) {
	case "", "none":
		return QuoteNone, nil
	case "mboxo":
		return QuoteMboxO, nil
	case "mboxrd":
		return QuoteMboxRD, nil
	}
	return 0, fmt.Errorf("unknown From_ quoting %q (none, mboxo, mboxrd)", s)
}

// Limits.
const (
	// maxHeader bounds the header kept in memory; the rest of a longer
	// header is read as body (it is stored all the same).
	maxHeader = 1 << 20
	// readBuffer is the line buffer; longer lines are read in pieces.
	readBuffer = 64 << 10
)

// hiddenFields are the mbox-internal header fields that the legacy servers
// hid from their clients; they are not stored (Dovecot's mbox_hide_headers
// and c-client's unix driver).
var hiddenFields = []string{"x-imapbase", "x-imap", "x-uid", "status", "x-status", "x-keywords", "content-length"}

// Message is one message of an mbox.
type Message struct {
	FromLine string    // the From_ line, without its line ending
	Line     int       // its line number, from 1
	Date     time.Time // from the From_ line; zero when it has none
	// Header is the header as the legacy server served it: the hidden
	// fields removed, the blank line that ends it included (when there was
	// one).
	Header []byte
	// The hidden and special fields' values ("" when absent; present says
	// which were there).
	XIMAPBase, XIMAP, XUID, Status, XStatus, XKeywords, ContentLength, XUIDL string
	Present                                                                  map[string]bool
	// HeaderLines are the header's lines without line endings, for the MD5
	// UIDL scheme (capped with the header).
	HeaderLines [][]byte
	// ContentLengthUsed says that a valid Content-Length delimited the body.
	ContentLengthUsed bool
	// Body reads the body. It is valid until the next call of Next.
	Body io.Reader
}

// Reader reads messages from an mbox.
type Reader struct {
	br      *bufio.Reader
	ra      io.ReaderAt // for checking Content-Length; nil: never trusted
	name    string
	quoting Quoting

	off       int64 // offset of the next unread byte of br
	line      int   // lines read so far
	started   bool
	nextFrom  []byte // the From_ line of the next message, read already
	nextLine  int
	eof       bool
	body      *bodyReader
	err       error
	lineStart bool // the next byte read starts a line
}

// NewReader returns a reader of the mbox r. When r is also an io.ReaderAt
// (a file), Content-Length headers are honoured where a valid From_ line
// (or the end of the file) follows the length they give.
func NewReader(r io.Reader, name string, quoting Quoting) *Reader {
	ra, _ := r.(io.ReaderAt)
	return &Reader{br: bufio.NewReaderSize(r, readBuffer), ra: ra, name: name, quoting: quoting, lineStart: true}
}

// ErrNotMbox is returned by the first Next of a file that does not start
// with a From_ line.
var ErrNotMbox = errors.New("not an mbox: the first line is not a From_ line")

// readChunk returns the next line, or a piece of a line longer than the
// buffer; start says whether it starts a line. The slice is valid until
// the next read.
func (r *Reader) readChunk() (chunk []byte, start bool, err error) {
	start = r.lineStart
	chunk, err = r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		err = nil
	}
	r.off += int64(len(chunk))
	r.lineStart = len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
	if r.lineStart {
		r.line++
	}
	if len(chunk) > 0 && errors.Is(err, io.EOF) {
		err = nil
	}
	return chunk, start, err
}

// Next returns the next message, io.EOF after the last one.
func (r *Reader) Next() (*Message, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.body != nil {
		if _, err := io.Copy(io.Discard, r.body); err != nil {
			r.err = err
			return nil, err
		}
		r.body = nil
	}
	if !r.started {
		r.started = true
		for {
			chunk, start, err := r.readChunk()
			if err != nil {
				r.eof = true
				break
			}
			if start && isBlank(chunk) {
				continue
			}
			if !start || !bytes.HasPrefix(chunk, []byte("From ")) {
				r.err = fmt.Errorf("%s:%d: %w", r.name, r.line, ErrNotMbox)
				return nil, r.err
			}
			r.nextFrom, r.nextLine = append([]byte(nil), chunk...), r.line
			break
		}
	}
	if r.nextFrom == nil {
		r.err = io.EOF
		return nil, io.EOF
	}
	m := &Message{FromLine: string(trimEOL(r.nextFrom)), Line: r.nextLine, Present: map[string]bool{}}
	m.Date, _ = parseFromLine(r.nextFrom)
	r.nextFrom = nil
	if err := r.readHeader(m); err != nil {
		r.err = err
		return nil, err
	}
	r.body = &bodyReader{r: r, remaining: -1}
	if m.ContentLength != "" && r.nextFrom == nil && !r.eof {
		if n, err := strconv.ParseInt(strings.TrimSpace(m.ContentLength), 10, 64); err == nil && n >= 0 && r.validLength(n) {
			r.body.remaining = n
			m.ContentLengthUsed = true
		}
	}
	if r.nextFrom != nil || r.eof {
		r.body.done = true // no body: the header ran into the next From_ line or the end
	}
	m.Body = r.body
	return m, nil
}

// readHeader reads header lines up to the blank line, keeping the ones
// clients saw.
func (r *Reader) readHeader(m *Message) error {
	var hdr bytes.Buffer
	hidden := false // the current field is hidden (its continuation lines too)
	var field *string
	for {
		if hdr.Len() > maxHeader {
			// A giant header: the rest is read as body, unchanged.
			m.Header = hdr.Bytes()
			return nil
		}
		chunk, start, err := r.readChunk()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return err
			}
			r.eof = true
			break
		}
		if start && isFromLine(chunk) {
			r.nextFrom, r.nextLine = append([]byte(nil), chunk...), r.line
			// The line ending before a From_ line belongs to the separator.
			b := hdr.Bytes()
			hdr.Truncate(len(b) - eolLen(b))
			break
		}
		if start && isBlank(chunk) {
			hdr.Write(chunk)
			break
		}
		line := trimEOL(chunk)
		if start && (line[0] == ' ' || line[0] == '\t') {
			if field != nil {
				*field += string(line)
			}
			if !hidden {
				hdr.Write(chunk)
				m.HeaderLines = append(m.HeaderLines, append([]byte(nil), line...))
			}
			continue
		}
		if !start {
			if !hidden {
				hdr.Write(chunk)
			}
			continue
		}
		hidden, field = false, nil
		if colon := bytes.IndexByte(line, ':'); colon > 0 {
			name := strings.ToLower(strings.TrimRight(string(line[:colon]), " \t"))
			value := strings.TrimLeft(string(line[colon+1:]), " \t")
			for _, h := range hiddenFields {
				if name == h {
					hidden = true
				}
			}
			if !m.Present[name] {
				switch name {
				case "x-imapbase":
					field = &m.XIMAPBase
				case "x-imap":
					field = &m.XIMAP
				case "x-uid":
					field = &m.XUID
				case "status":
					field = &m.Status
				case "x-status":
					field = &m.XStatus
				case "x-keywords":
					field = &m.XKeywords
				case "content-length":
					field = &m.ContentLength
				case "x-uidl":
					field = &m.XUIDL
				}
				if field != nil {
					*field = value
					m.Present[name] = true
				}
			}
		}
		if !hidden {
			hdr.Write(chunk)
			m.HeaderLines = append(m.HeaderLines, append([]byte(nil), line...))
		}
	}
	m.Header = hdr.Bytes()
	return nil
}

// validLength reports whether a body of n bytes from the current offset is
// followed by the end of the file or by a line break and a valid From_ line
// (Dovecot uses Content-Length "only if a valid From line follows").
func (r *Reader) validLength(n int64) bool {
	if r.ra == nil {
		return false
	}
	end := r.off + n
	if n > 0 {
		// The body must be there: a length past the end of the file is wrong.
		var last [1]byte
		if _, err := r.ra.ReadAt(last[:], end-1); err != nil {
			return false
		}
	}
	buf := make([]byte, 1024)
	k, err := r.ra.ReadAt(buf, end)
	buf = buf[:k]
	if k == 0 && errors.Is(err, io.EOF) {
		return true
	}
	switch {
	case bytes.HasPrefix(buf, []byte("\r\n")):
		buf = buf[2:]
	case bytes.HasPrefix(buf, []byte("\n")):
		buf = buf[1:]
	default:
		// The body must end with a line break of its own before a From_ line.
		if end == 0 {
			return false
		}
		var prev [1]byte
		if _, err := r.ra.ReadAt(prev[:], end-1); err != nil || prev[0] != '\n' {
			return false
		}
	}
	if len(buf) == 0 {
		return true // the end of the file
	}
	if i := bytes.IndexByte(buf, '\n'); i >= 0 {
		buf = buf[:i+1]
	}
	return isFromLine(buf)
}

// bodyReader reads one message's body.
type bodyReader struct {
	r         *Reader
	buf       []byte // bytes ready to be returned
	scratch   []byte
	pendingNL []byte // a line ending held back: before a From_ line it is the separator
	remaining int64  // bytes left when a Content-Length delimits the body; -1 otherwise
	done      bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.done {
			return 0, io.EOF
		}
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

func (b *bodyReader) fill() error {
	r := b.r
	if b.remaining >= 0 {
		return b.fillLength()
	}
	chunk, start, err := r.readChunk()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			return err
		}
		r.eof, b.done = true, true
		return nil
	}
	if start && isFromLine(chunk) {
		r.nextFrom, r.nextLine = append([]byte(nil), chunk...), r.line
		b.done = true
		return nil
	}
	b.scratch = append(b.scratch[:0], b.pendingNL...)
	b.pendingNL = b.pendingNL[:0]
	if start {
		chunk = b.unquote(chunk)
	}
	n := eolLen(chunk)
	if r.lineStart {
		b.pendingNL = append(b.pendingNL, chunk[len(chunk)-n:]...)
		chunk = chunk[:len(chunk)-n]
	}
	b.scratch = append(b.scratch, chunk...)
	b.buf = b.scratch
	return nil
}

// fillLength reads a body delimited by Content-Length, then the separator.
func (b *bodyReader) fillLength() error {
	r := b.r
	if b.remaining == 0 {
		b.done = true
		// The separator: one line break, then the next From_ line or the end.
		for {
			chunk, start, err := r.readChunk()
			if err != nil {
				r.eof = true
				return nil
			}
			if start && isFromLine(chunk) {
				r.nextFrom, r.nextLine = append([]byte(nil), chunk...), r.line
				return nil
			}
			if !isBlank(chunk) {
				// validLength said otherwise; keep reading lines as a body
				// would be lost, so treat it as a truncated separator.
				return fmt.Errorf("%s:%d: expected a From_ line after Content-Length", r.name, r.line)
			}
		}
	}
	if cap(b.scratch) < 32<<10 {
		b.scratch = make([]byte, 32<<10)
	}
	want := min(int64(len(b.scratch[:cap(b.scratch)])), b.remaining)
	n, err := io.ReadFull(r.br, b.scratch[:want])
	r.off += int64(n)
	r.line += bytes.Count(b.scratch[:n], []byte{'\n'})
	if n > 0 {
		r.lineStart = b.scratch[n-1] == '\n'
	}
	b.remaining -= int64(n)
	b.buf = b.scratch[:n]
	if err != nil {
		// The file changed under us (truncated): keep what there is.
		b.remaining = 0
		r.eof, b.done = true, true
	}
	return nil
}

// unquote removes one '>' from an escaped From_ line.
func (b *bodyReader) unquote(line []byte) []byte {
	switch b.r.quoting {
	case QuoteMboxO:
		if bytes.HasPrefix(line, []byte(">From ")) {
			return line[1:]
		}
	case QuoteMboxRD:
		i := 0
		for i < len(line) && line[i] == '>' {
			i++
		}
		if i > 0 && bytes.HasPrefix(line[i:], []byte("From ")) {
			return line[1:]
		}
	}
	return line
}

func isBlank(line []byte) bool {
	return len(trimEOL(line)) == 0 && len(line) > 0
}

func eolLen(b []byte) int {
	switch {
	case bytes.HasSuffix(b, []byte("\r\n")):
		return 2
	case bytes.HasSuffix(b, []byte("\n")):
		return 1
	}
	return 0
}

func trimEOL(b []byte) []byte { return b[:len(b)-eolLen(b)] }

// isFromLine reports whether line is a From_ line that separates messages:
// "From ", a sender, and a date that parses (Dovecot's mbox_from_parse is as
// strict, so that body text starting with "From " is not a separator).
func isFromLine(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("From ")) {
		return false
	}
	_, ok := parseFromLine(line)
	return ok
}

var weekdays = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// parseFromLine reads the date of a From_ line:
//
//	From sender Www Mmm dd hh:mm[:ss] [zone] yyyy [zone] [remote from host]
//
// A date without a zone is the local time, as c-client and Dovecot write it.
func parseFromLine(line []byte) (time.Time, bool) {
	f := strings.Fields(string(trimEOL(line)))
	if len(f) < 2 || f[0] != "From" {
		return time.Time{}, false
	}
	for i := 2; i+4 < len(f)+1; i++ {
		if !slicesContains(weekdays, f[i-0]) {
			continue
		}
		if t, ok := parseAsctime(f[i+1:]); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

func slicesContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// parseAsctime reads "Mmm dd hh:mm[:ss] [zone] yyyy [zone]".
func parseAsctime(f []string) (time.Time, bool) {
	if len(f) < 4 {
		return time.Time{}, false
	}
	mon, err := time.Parse("Jan", f[0])
	if err != nil {
		return time.Time{}, false
	}
	day, err := strconv.Atoi(f[1])
	if err != nil || day < 1 || day > 31 {
		return time.Time{}, false
	}
	hms := strings.Split(f[2], ":")
	if len(hms) < 2 || len(hms) > 3 {
		return time.Time{}, false
	}
	var clock [3]int
	for i, s := range hms {
		if clock[i], err = strconv.Atoi(s); err != nil || clock[i] < 0 || clock[i] > 60 {
			return time.Time{}, false
		}
	}
	rest := f[3:]
	loc := time.Local
	zone := func(s string) bool {
		if len(s) == 5 && (s[0] == '+' || s[0] == '-') {
			if n, err := strconv.Atoi(s[1:]); err == nil {
				off := (n/100*60 + n%100) * 60
				if s[0] == '-' {
					off = -off
				}
				loc = time.FixedZone(s, off)
				return true
			}
		}
		return false
	}
	if len(rest) > 0 && !isYear(rest[0]) {
		if !zone(rest[0]) && !isAlpha(rest[0]) {
			return time.Time{}, false
		}
		rest = rest[1:] // a zone name before the year (UTC, EST …): as local time
	}
	if len(rest) == 0 || !isYear(rest[0]) {
		return time.Time{}, false
	}
	year, _ := strconv.Atoi(rest[0])
	if year < 100 {
		year += 1900
		if year < 1970 {
			year += 100
		}
	}
	if len(rest) > 1 {
		zone(rest[1])
	}
	return time.Date(year, mon.Month(), day, clock[0], clock[1], clock[2], 0, loc), true
}

func isYear(s string) bool {
	if len(s) != 4 && len(s) != 2 {
		return false
	}
	_, err := strconv.Atoi(s)
	return err == nil
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}
