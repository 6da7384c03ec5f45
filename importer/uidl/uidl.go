// Package uidl renders the POP3 UIDLs that legacy servers derived from a
// message's identifiers, so that an importer can store, byte for byte, the
// UIDL a POP3 client has cached (RFC 1939 §7; LEGACY-FORMATS.md §b.4).
//
// A Scheme is either one of the named schemes below or a template in
// Dovecot's pop3_uidl_format syntax (%u, %v, %f, %g, %m, with an optional
// zero-padded width and X for lowercase hex, and Dovecot 2.4's
// %{uid | hex(8)} form for the two numbers).
package uidl

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Named schemes.
const (
	// Dovecot is Dovecot's default since v1.1: UID, then UIDVALIDITY, each
	// as 8 lowercase hex digits ("%08Xu%08Xv").
	Dovecot = "dovecot"
	// UW is UW ipop3d's sprintf("%08lx%08lx", uid_validity, uid):
	// UIDVALIDITY first.
	UW = "uw"
	// Cyrus is Cyrus ≥ 2.1.4's default, "<uidvalidity>.<uid>" in decimal.
	Cyrus = "cyrus"
	// Courier means the UIDLs that courierpop3dsizelist records; they are
	// never guessed (Courier's POP3 counters are its own), so this scheme
	// renders nothing and the source must supply them.
	Courier = "courier"
	// XUIDL means the message's own X-UIDL: header (qpopper, Dovecot's
	// pop3_reuse_xuidl); the source supplies it.
	XUIDL = "xuidl"
	// MD5 is Dovecot's %m for mbox: the popa3d-compatible MD5 of some
	// header fields (see HeaderMD5).
	MD5 = "md5"
)

// ErrInvalid is wrapped by every error about a scheme.
var ErrInvalid = errors.New("invalid UIDL scheme")

// Vars are what a template may refer to.
type Vars struct {
	UID         uint32
	UIDValidity uint32
	Filename    string // Maildir base filename (%f), "" for others
	GUID        string // Dovecot message GUID (%g), "" if unknown
	MD5         string // hex MD5 of the header (%m), "" if unknown
}

// Scheme renders UIDLs.
type Scheme struct {
	name  string // a named scheme, or "" for a template
	text  string
	parts []part
	needs needs
}

type needs struct{ filename, guid, md5 bool }

type part struct {
	literal string
	field   byte // 'u', 'v', 'f', 'g', 'm'; 0 for a literal
	width   int
	zero    bool
	hex     bool
}

// Parse reads a scheme: a name (dovecot, uw, cyrus, courier, xuidl, md5)
// or a template.
func Parse(s string) (Scheme, error) {
	switch strings.ToLower(s) {
	case Dovecot:
		return mustTemplate(Dovecot, "%08Xu%08Xv"), nil
	case UW:
		return mustTemplate(UW, "%08Xv%08Xu"), nil
	case Cyrus:
		return mustTemplate(Cyrus, "%v.%u"), nil
	case MD5:
		return mustTemplate(MD5, "%m"), nil
	case Courier, XUIDL:
		return Scheme{name: strings.ToLower(s), text: strings.ToLower(s)}, nil
	case "":
		return Scheme{}, fmt.Errorf("%w: empty", ErrInvalid)
	}
	return parseTemplate(s)
}

func mustTemplate(name, text string) Scheme {
	sc, err := parseTemplate(text)
	if err != nil {
		panic(err)
	}
	sc.name = name
	return sc
}

// dovecot24 maps Dovecot 2.4's long variable names to the short ones.
var dovecot24 = map[string]byte{"uid": 'u', "uidvalidity": 'v', "filename": 'f', "guid": 'g', "md5": 'm'}

func parseTemplate(text string) (Scheme, error) {
	sc := Scheme{text: text}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			sc.parts = append(sc.parts, part{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '%' {
			if c < 0x21 || c > 0x7e {
				return sc, fmt.Errorf("%w: %q: byte 0x%02x cannot be in a UIDL", ErrInvalid, text, c)
			}
			lit.WriteByte(c)
			continue
		}
		i++
		if i >= len(text) {
			return sc, fmt.Errorf("%w: %q ends inside a %% variable", ErrInvalid, text)
		}
		if text[i] == '%' {
			lit.WriteByte('%')
			continue
		}
		var p part
		if text[i] == '{' {
			end := strings.IndexByte(text[i:], '}')
			if end < 0 {
				return sc, fmt.Errorf("%w: %q: unterminated %%{", ErrInvalid, text)
			}
			var err error
			if p, err = parseLong(text[i+1 : i+end]); err != nil {
				return sc, fmt.Errorf("%w: %q: %v", ErrInvalid, text, err)
			}
			i += end
		} else {
			if text[i] == '0' {
				p.zero = true
				i++
			}
			start := i
			for i < len(text) && text[i] >= '0' && text[i] <= '9' {
				i++
			}
			if i > start {
				p.width, _ = strconv.Atoi(text[start:i])
			}
			if i < len(text) && text[i] == 'X' {
				p.hex = true
				i++
			}
			if i >= len(text) {
				return sc, fmt.Errorf("%w: %q ends inside a %% variable", ErrInvalid, text)
			}
			p.field = text[i]
		}
		switch p.field {
		case 'u', 'v':
		case 'f':
			sc.needs.filename = true
		case 'g':
			sc.needs.guid = true
		case 'm':
			sc.needs.md5 = true
		default:
			return sc, fmt.Errorf("%w: %q: unknown variable %%%c (known: %%u %%v %%f %%g %%m)", ErrInvalid, text, p.field)
		}
		if p.width > 20 {
			return sc, fmt.Errorf("%w: %q: width %d too large", ErrInvalid, text, p.width)
		}
		flush()
		sc.parts = append(sc.parts, p)
	}
	flush()
	unique := false
	for _, p := range sc.parts {
		unique = unique || p.field == 'u' || p.field == 'f' || p.field == 'g' || p.field == 'm'
	}
	if !unique {
		// Without one of these, two messages would share a UIDL.
		return sc, fmt.Errorf("%w: %q has none of %%u %%f %%g %%m", ErrInvalid, text)
	}
	return sc, nil
}

// parseLong reads Dovecot 2.4's "uid | hex(8)" form.
func parseLong(s string) (part, error) {
	var p part
	fields := strings.Split(s, "|")
	name := strings.TrimSpace(fields[0])
	f, ok := dovecot24[name]
	if !ok {
		return p, fmt.Errorf("unknown variable %q", name)
	}
	p.field = f
	for _, filter := range fields[1:] {
		filter = strings.TrimSpace(filter)
		switch {
		case filter == "hex":
			p.hex = true
		case strings.HasPrefix(filter, "hex(") && strings.HasSuffix(filter, ")"):
			w, err := strconv.Atoi(filter[4 : len(filter)-1])
			if err != nil || w < 0 {
				return p, fmt.Errorf("bad filter %q", filter)
			}
			p.hex, p.zero, p.width = true, true, w
		default:
			return p, fmt.Errorf("unsupported filter %q", filter)
		}
	}
	return p, nil
}

// String returns the scheme's name or template.
func (s Scheme) String() string { return s.text }

// IsZero reports whether s is the zero Scheme (none chosen).
func (s Scheme) IsZero() bool { return s.text == "" }

// FromSource reports whether the UIDLs of this scheme come from the source
// itself (courier, xuidl) rather than being rendered.
func (s Scheme) FromSource() bool { return s.name == Courier || s.name == XUIDL }

// NeedsMD5 reports whether Render needs Vars.MD5.
func (s Scheme) NeedsMD5() bool { return s.needs.md5 }

// Render expands the scheme for one message. It returns "" when the scheme
// renders nothing (courier, xuidl) or a variable it needs is unknown.
func (s Scheme) Render(v Vars) string {
	if s.FromSource() || len(s.parts) == 0 {
		return ""
	}
	var b strings.Builder
	for _, p := range s.parts {
		var str string
		switch p.field {
		case 0:
			b.WriteString(p.literal)
			continue
		case 'u', 'v':
			n := uint64(v.UID)
			if p.field == 'v' {
				n = uint64(v.UIDValidity)
			}
			if p.hex {
				str = strconv.FormatUint(n, 16)
			} else {
				str = strconv.FormatUint(n, 10)
			}
		case 'f':
			str = v.Filename
		case 'g':
			str = v.GUID
		case 'm':
			str = v.MD5
		}
		if str == "" {
			return ""
		}
		pad := byte(' ')
		if p.zero {
			pad = '0'
		}
		for n := p.width - len(str); n > 0; n-- {
			b.WriteByte(pad)
		}
		b.WriteString(str)
	}
	return b.String()
}

// CourierV0 is the UIDL of a courierpop3dsizelist version 0 (or missing)
// entry: the base filename with bytes outside 0x21–0x7E and ', " and +
// escaped as +%02X (courier-libs imap/pop3dserver.C).
func CourierV0(basename string) string {
	var b strings.Builder
	for i := 0; i < len(basename); i++ {
		c := basename[i]
		if c < 0x21 || c > 0x7e || c == '\'' || c == '"' || c == '+' {
			fmt.Fprintf(&b, "+%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// CourierUID is Courier's printf("UID%lu-%lu", uid, uidv), or "UID<uid>"
// when uidv is 0.
func CourierUID(uid, uidv uint64) string {
	if uidv == 0 {
		return "UID" + strconv.FormatUint(uid, 10)
	}
	return "UID" + strconv.FormatUint(uid, 10) + "-" + strconv.FormatUint(uidv, 10)
}

// HeaderMD5 computes Dovecot's popa3d-compatible "%m" (mbox-md5-apop3d.c)
// incrementally: feed it each header line with Line, then call Sum.
type HeaderMD5 struct {
	h            md5Hash
	seenReceived bool
	current      string // lower-case name of the field being continued
	inReceived   bool
}

type md5Hash interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
}

// NewHeaderMD5 starts a hash.
func NewHeaderMD5() *HeaderMD5 { return &HeaderMD5{h: md5.New()} }

// Line feeds one header line, without its line ending. The values of
// Delivered-To and X-Delivery-ID, of the first Received, and of Date and
// Message-ID before the first Received are hashed, as Dovecot does.
func (m *HeaderMD5) Line(line []byte) {
	var name string
	var value []byte
	if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
		name, value = m.current, line
	} else {
		colon := -1
		for i, c := range line {
			if c == ':' {
				colon = i
				break
			}
		}
		if colon < 0 {
			m.current = ""
			return
		}
		name = strings.ToLower(strings.TrimRight(string(line[:colon]), " \t"))
		value = line[colon+1:]
		for len(value) > 0 && (value[0] == ' ' || value[0] == '\t') {
			value = value[1:]
		}
		if m.inReceived {
			m.seenReceived = true // the first Received ended
			m.inReceived = false
		}
		m.current = name
	}
	switch name {
	case "date", "message-id":
		if !m.seenReceived {
			m.h.Write(value)
		}
	case "delivered-to", "x-delivery-id":
		m.h.Write(value)
	case "received":
		if !m.seenReceived {
			m.h.Write(value)
			m.inReceived = true
		}
	}
}

// Sum returns the hash in lowercase hex.
func (m *HeaderMD5) Sum() string { return hex.EncodeToString(m.h.Sum(nil)) }
