package structure

import "strings"

// Lenient parsing of Content-Type and Content-Disposition values (RFC 2045
// §5.1, RFC 2183 §2). mime.ParseMediaType is not used: it rejects whole
// values for one bad parameter and returns a map, losing the order the IMAP
// body-fld-param list keeps.

// scanner walks a structured header value.
type scanner struct {
	s string
	i int
}

// skipCFWS skips whitespace and comments (RFC 5322 §3.2.2). An unterminated
// comment runs to the end of the value.
func (sc *scanner) skipCFWS() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\r', '\n':
			sc.i++
		case '(':
			sc.i = skipComment(sc.s, sc.i)
		default:
			return
		}
	}
}

// skipComment returns the index after the comment starting at s[i] == '(',
// or len(s) when it is not terminated.
func skipComment(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

// isTSpecial reports RFC 2045 §5.1 tspecials.
func isTSpecial(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=':
		return true
	}
	return false
}

// token reads an RFC 2045 §5.1 token: printable US-ASCII except SP and
// tspecials.
func (sc *scanner) token() string {
	start := sc.i
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		if c <= ' ' || c >= 0x7f || isTSpecial(c) {
			break
		}
		sc.i++
	}
	return sc.s[start:sc.i]
}

// quoted reads a quoted-string starting at '"' (RFC 5322 §3.2.4) and
// returns it unescaped. An unterminated one runs to the end of the value.
func (sc *scanner) quoted() string {
	sc.i++ // opening quote
	var b []byte
	start := sc.i
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == '"':
			sc.i++
			if b == nil {
				return sc.s[start : sc.i-1]
			}
			return string(b)
		case c == '\\' && sc.i+1 < len(sc.s):
			if b == nil {
				b = append([]byte{}, sc.s[start:sc.i]...)
			}
			b = append(b, sc.s[sc.i+1])
			sc.i += 2
		default:
			if b != nil {
				b = append(b, c)
			}
			sc.i++
		}
	}
	if b == nil {
		return sc.s[start:]
	}
	return string(b)
}

// skipTo advances to the next ';' outside quotes and comments: whatever is
// there is junk a lenient reader ignores.
func (sc *scanner) skipTo(semi byte) bool {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case semi:
			return true
		case '"':
			sc.quoted()
		case '(':
			sc.i = skipComment(sc.s, sc.i)
		default:
			sc.i++
		}
	}
	return false
}

// params reads "; name=value" pairs until the end of the value. Names are
// lower-cased (RFC 2045 §5.1: attribute names are case-insensitive); values
// are tokens or quoted-strings, with a lenient fallback to everything up to
// the next ';' or comment, because real mail has unquoted values with
// tspecials (boundary=----=_Part_1) and spaces.
func (sc *scanner) params() []Param {
	var ps []Param
	for sc.skipTo(';') {
		sc.i++
		sc.skipCFWS()
		start := sc.i
		for sc.i < len(sc.s) && !isParamNameEnd(sc.s[sc.i]) {
			sc.i++
		}
		name := toLowerASCII(sc.s[start:sc.i])
		sc.skipCFWS()
		if sc.i >= len(sc.s) || sc.s[sc.i] != '=' {
			continue // no value: not a parameter
		}
		sc.i++
		sc.skipCFWS()
		var value string
		if sc.i < len(sc.s) && sc.s[sc.i] == '"' {
			value = sc.quoted()
		} else {
			start := sc.i
			for sc.i < len(sc.s) && sc.s[sc.i] != ';' && sc.s[sc.i] != '(' {
				sc.i++
			}
			value = trimWS(sc.s[start:sc.i])
		}
		if name != "" {
			ps = append(ps, Param{Name: name, Value: value})
		}
	}
	return ps
}

func isParamNameEnd(c byte) bool {
	switch c {
	case '=', ';', '(', '"', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// parseContentType parses a Content-Type value. ok is false when there is no
// "type/subtype" to be found; RFC 2045 §5.2 then has the default apply.
func parseContentType(v string) (typ, sub string, ps []Param, ok bool) {
	sc := scanner{s: v}
	sc.skipCFWS()
	typ = sc.token()
	sc.skipCFWS()
	if sc.i >= len(sc.s) || sc.s[sc.i] != '/' {
		return "", "", nil, false
	}
	sc.i++
	sc.skipCFWS()
	sub = sc.token()
	if typ == "" || sub == "" {
		return "", "", nil, false
	}
	return toLowerASCII(typ), toLowerASCII(sub), sc.params(), true
}

// parseDisposition parses a Content-Disposition value (RFC 2183 §2). A value
// without a disposition type counts as absent.
func parseDisposition(v string) (disp string, ps []Param) {
	sc := scanner{s: v}
	sc.skipCFWS()
	disp = toLowerASCII(sc.token())
	if disp == "" {
		return "", nil
	}
	return disp, sc.params()
}

// parseLanguage splits a Content-Language value (RFC 3282 §2) on commas.
func parseLanguage(v string) []string {
	var langs []string
	for len(v) > 0 {
		item := v
		if i := strings.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			v = ""
		}
		if item = trimWS(item); item != "" {
			langs = append(langs, item)
		}
	}
	return langs
}

// param returns the value of the first parameter called name.
func param(ps []Param, name string) (string, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}
