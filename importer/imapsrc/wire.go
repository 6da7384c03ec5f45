package imapsrc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ferrymail/ferrymail/importer/spool"
)

// The response reader. It is written here rather than taken from
// go-imap's imapclient because imapclient gives up on what real legacy
// servers send (GO-IMAP-NOTES.md §5):
//   - §5.1: an untagged response type it does not know (vendor extensions
//     such as "* XAPPLEPUSHSERVICE") is fatal and closes the connection;
//   - §5.2: an unknown FETCH data item (X-GM-MSGID …) is fatal;
//   - §5.3: a FETCH whose UID comes after the body literal is silently
//     dropped;
//   - §5.4: a mailbox name that is not valid modified UTF-7 ("Foo & Bar")
//     is fatal;
//   - §5.6: a whole FETCH literal must arrive within 5 minutes, and
//     §5.7: there is no way to send a command it does not model.
//
// This reader is tolerant instead: untagged responses and FETCH items it
// does not know are skipped (literals inside them included), FETCH items
// come in any order, mailbox names are kept as raw bytes for the caller to
// decode, and large literals are spooled (importer/spool) rather than held in
// memory. It reads RFC 9051 §7 / RFC 3501 §7 responses:
//
//	response     = continue-req / response-data / response-tagged
//	continue-req = "+" SP text CRLF
//	resp-cond    = ("OK" / "NO" / "BAD" / "BYE" / "PREAUTH") SP ["[" resp-text-code "]" SP] text
//	data         = "*" SP [number SP] atom [SP values] CRLF
//	value        = atom / number / quoted / literal / NIL / "(" [value *(SP value)] ")"

// Limits on what the server may send (CONVENTIONS.md §6).
const (
	// maxLine bounds the octets of one response outside its literals: a
	// FETCH with thousands of keywords fits, a babbling peer does not.
	maxLine = 1 << 20
	// maxDepth bounds list nesting (BODYSTRUCTURE of deep MIME trees is
	// never asked for; 64 leaves room for vendor items).
	maxDepth = 64
	// maxLiteral bounds one literal: a message of 2 GiB is beyond any
	// legacy server's limit, and it is spooled to disk, not memory.
	maxLiteral = 2 << 30
	// inlineLiteral is the largest literal kept as a string value; larger
	// ones (message bodies) are spooled.
	inlineLiteral = 64 << 10
)

// errProtocol is a response this reader cannot make sense of: the
// connection is not usable any more.
var errProtocol = errors.New("IMAP protocol error")

type valueKind uint8

const (
	vAtom   valueKind = iota // an atom or number, as received
	vString                  // a quoted string or small literal
	vNil                     // NIL
	vList                    // a parenthesised list
	vSpool                   // a large literal, spooled
)

// value is one element of a response.
type value struct {
	kind valueKind
	s    string
	list []value
	lit  *spool.Body
}

// str returns an atom's, a string's or a small literal's text; "" for NIL,
// lists and spooled literals.
func (v *value) str() string {
	if v.kind == vAtom || v.kind == vString {
		return v.s
	}
	return ""
}

// release closes the spools in v that nobody took.
func (v *value) release() {
	if v.lit != nil {
		v.lit.Close()
		v.lit = nil
	}
	for i := range v.list {
		v.list[i].release()
	}
}

// response is one server response.
type response struct {
	tag      string // "*" untagged, "+" continuation request, else the command's tag
	num      uint32 // "* 3 FETCH": 3 (hasNum)
	hasNum   bool
	kind     string // upper case: OK, NO, BAD, BYE, PREAUTH, FETCH, LIST, EXISTS …; "" for "+"
	code     string // resp-text-code atom, upper case ("UIDNEXT", "UNAVAILABLE" …)
	codeArgs string // what follows the code atom inside the brackets
	text     string
	fields   []value // the values of a data response (FETCH: one list)
}

func (r *response) release() {
	for i := range r.fields {
		r.fields[i].release()
	}
}

func (r *response) isStatus() bool {
	switch r.kind {
	case "OK", "NO", "BAD", "BYE", "PREAUTH":
		return true
	}
	return false
}

// reader parses responses from a buffered connection. A parse error is
// returned wrapped in errProtocol; an I/O error as it is.
type reader struct {
	br       *bufio.Reader
	spoolDir string
	n        int           // octets of the current line outside literals
	made     []*spool.Body // spools of the response being read, closed if it fails
}

// parsePanic carries a parse error out of the recursive descent; it is
// recovered in readResponse (CONVENTIONS.md §5: panics only inside a
// parser, recovered at its entry point).
type parsePanic struct{ err error }

func (rd *reader) fail(format string, args ...any) {
	panic(parsePanic{fmt.Errorf("%w: "+format, append([]any{errProtocol}, args...)...)})
}

func (rd *reader) peek() byte {
	b, err := rd.br.Peek(1)
	if err != nil {
		panic(parsePanic{err})
	}
	return b[0]
}

func (rd *reader) next() byte {
	c, err := rd.br.ReadByte()
	if err != nil {
		panic(parsePanic{err})
	}
	if rd.n++; rd.n > maxLine {
		rd.fail("response line longer than %d octets", maxLine)
	}
	return c
}

// readResponse reads one response. Spools in it belong to the caller
// (release).
func (rd *reader) readResponse() (resp *response, err error) {
	resp = &response{}
	defer func() {
		if p := recover(); p != nil {
			pp, ok := p.(parsePanic)
			if !ok {
				panic(p)
			}
			for _, sp := range rd.made {
				sp.Close()
			}
			resp, err = nil, pp.err
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
		}
	}()
	rd.n, rd.made = 0, nil
	resp.tag = rd.word()
	if resp.tag == "+" {
		resp.text = rd.restOfLine()
		return resp, nil
	}
	if resp.tag == "" {
		rd.fail("empty tag")
	}
	rd.space()
	kind := rd.word()
	if resp.tag == "*" {
		if n, err := strconv.ParseUint(kind, 10, 32); err == nil {
			resp.num, resp.hasNum = uint32(n), true
			rd.space()
			kind = rd.word()
		}
	}
	resp.kind = strings.ToUpper(kind)
	switch {
	case resp.isStatus():
		rd.statusText(resp)
	case resp.tag != "*":
		rd.fail("tagged response %q", kind)
	case knownData[resp.kind]:
		for {
			c := rd.peek()
			if c == '\r' || c == '\n' {
				break
			}
			if c == ' ' {
				rd.next()
				continue
			}
			resp.fields = append(resp.fields, rd.value(0))
		}
		rd.eol()
	default:
		// A response this importer has no use for (vendor extensions,
		// EXPUNGE, RECENT …): skipped, with any literals in it.
		rd.skipLine()
	}
	return resp, nil
}

// knownData are the untagged responses whose values are parsed; all
// others are skipped whole.
var knownData = map[string]bool{"FETCH": true, "LIST": true, "LSUB": true, "STATUS": true,
	"CAPABILITY": true, "EXISTS": true, "FLAGS": true, "ENABLED": true}

// word reads up to the next space or line end (a tag, a response kind).
func (rd *reader) word() string {
	var b strings.Builder
	for {
		c := rd.peek()
		if c == ' ' || c == '\r' || c == '\n' {
			return b.String()
		}
		b.WriteByte(rd.next())
	}
}

func (rd *reader) space() {
	if c := rd.peek(); c != ' ' {
		if c == '\r' || c == '\n' {
			return // tolerated: "* OK" without text, "+" alone
		}
		rd.fail("expected a space, got %q", c)
	}
	for rd.peek() == ' ' {
		rd.next()
	}
}

// eol reads the line end; a bare LF is tolerated.
func (rd *reader) eol() {
	c := rd.next()
	if c == '\r' {
		c = rd.next()
	}
	if c != '\n' {
		rd.fail("expected the end of the line, got %q", c)
	}
}

// restOfLine returns the text up to the line end.
func (rd *reader) restOfLine() string {
	var b strings.Builder
	for rd.peek() == ' ' {
		rd.next()
	}
	for {
		c := rd.next()
		if c == '\n' {
			return strings.TrimSuffix(b.String(), "\r")
		}
		b.WriteByte(c)
	}
}

// skipLine skips the rest of a line that this reader does not parse,
// reading past literals announced at a line's end.
func (rd *reader) skipLine() {
	for {
		line := rd.restOfLine()
		n, ok := literalAtEnd(line)
		if !ok {
			return
		}
		if n > maxLiteral {
			rd.fail("literal of %d octets", n)
		}
		if _, err := io.CopyN(io.Discard, rd.br, n); err != nil {
			panic(parsePanic{err})
		}
		rd.n = 0
	}
}

// literalAtEnd reads "{n}" or "{n+}" at the end of a line.
func literalAtEnd(line string) (int64, bool) {
	if !strings.HasSuffix(line, "}") {
		return 0, false
	}
	i := strings.LastIndexByte(line, '{')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(line[i+1:len(line)-1], "+"), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// statusText reads [SP "[" code [SP args] "]"] [SP text] CRLF.
func (rd *reader) statusText(resp *response) {
	rd.space()
	if rd.peek() == '[' {
		rd.next()
		var b strings.Builder
		depth := 0
		for {
			c := rd.next()
			if c == '\r' || c == '\n' {
				rd.fail("response code not closed")
			}
			if c == ']' && depth == 0 {
				break
			}
			// "[BADCHARSET (UTF-8)]", "[PERMANENTFLAGS (\Seen \*)]"
			switch c {
			case '(':
				depth++
			case ')':
				depth--
			}
			b.WriteByte(c)
		}
		code, args, _ := strings.Cut(b.String(), " ")
		resp.code, resp.codeArgs = strings.ToUpper(code), args
	}
	resp.text = rd.restOfLine()
}

// value reads one value.
func (rd *reader) value(depth int) value {
	switch c := rd.peek(); c {
	case '(':
		if depth >= maxDepth {
			rd.fail("lists nested deeper than %d", maxDepth)
		}
		rd.next()
		v := value{kind: vList}
		for {
			switch rd.peek() {
			case ')':
				rd.next()
				return v
			case ' ':
				rd.next()
				continue
			case '\r', '\n':
				rd.fail("list not closed at the line end")
			}
			v.list = append(v.list, rd.value(depth+1))
		}
	case '"':
		return value{kind: vString, s: rd.quoted()}
	case '{':
		return rd.literal()
	case ')':
		rd.fail("unexpected )")
	}
	a := rd.atom()
	if strings.EqualFold(a, "NIL") {
		return value{kind: vNil}
	}
	return value{kind: vAtom, s: a}
}

// quoted reads a quoted string; 8-bit octets are kept as they are.
func (rd *reader) quoted() string {
	rd.next()
	var b strings.Builder
	for {
		c := rd.next()
		switch c {
		case '"':
			return b.String()
		case '\\':
			c = rd.next()
		case '\r', '\n':
			rd.fail("quoted string not closed at the line end")
		}
		b.WriteByte(c)
	}
}

// atom reads an atom, with what a FETCH item name holds in brackets
// ("BODY[HEADER.FIELDS (FROM TO)]<0>") as part of it. Anything but space,
// parentheses and line ends is accepted: legacy servers put 8-bit octets
// and specials in flags.
func (rd *reader) atom() string {
	var b strings.Builder
	for {
		c := rd.peek()
		switch c {
		case ' ', '(', ')', '\r', '\n':
			if b.Len() == 0 {
				rd.fail("expected a value, got %q", c)
			}
			return b.String()
		case '[':
			for {
				c := rd.next()
				b.WriteByte(c)
				if c == ']' {
					break
				}
				if c == '\r' || c == '\n' {
					rd.fail("section not closed")
				}
			}
			continue
		}
		b.WriteByte(rd.next())
	}
}

// literal reads "{n}" CRLF and n octets: a string when small, else a spool.
func (rd *reader) literal() value {
	rd.next()
	var num strings.Builder
	for {
		c := rd.next()
		if c == '}' {
			break
		}
		if c == '+' {
			continue // LITERAL+ syntax, from a confused server
		}
		if c < '0' || c > '9' || num.Len() > 12 {
			rd.fail("bad literal length")
		}
		num.WriteByte(c)
	}
	n, err := strconv.ParseInt(num.String(), 10, 64)
	if err != nil || n > maxLiteral {
		rd.fail("literal length %q", num.String())
	}
	rd.eol()
	if n <= inlineLiteral {
		buf := make([]byte, n)
		if _, err := io.ReadFull(rd.br, buf); err != nil {
			panic(parsePanic{err})
		}
		return value{kind: vString, s: string(buf)}
	}
	sp := newSpool(rd.spoolDir)
	rd.made = append(rd.made, sp)
	if _, err := io.CopyN(sp, rd.br, n); err != nil {
		panic(parsePanic{err})
	}
	if err := sp.Ready(); err != nil {
		panic(parsePanic{err})
	}
	return value{kind: vSpool, lit: sp}
}
