package structure

import "strings"

// Tokens of an RFC 5322 §3.4 address list, as the lenient address parser
// sees them.
type tokKind uint8

const (
	tokAtom    tokKind = iota // atom or dot-atom (RFC 5322 §3.2.3), domain literal, or stray characters
	tokQuoted                 // quoted-string, unescaped (RFC 5322 §3.2.4)
	tokComment                // comment, unescaped and trimmed (RFC 5322 §3.2.2)
	tokSpecial                // one of < > @ : ; ,
)

// maxCommentFailures bounds the unterminated comments scanned to the end of
// an address list, keeping a list of 64 KiB of '(' from costing quadratic
// time.
const maxCommentFailures = 8

type token struct {
	kind tokKind
	text string
	sp   bool // whitespace or a comment came before it
}

func (t token) is(special byte) bool {
	return t.kind == tokSpecial && t.text[0] == special
}

// atomEnd reports the characters that end an atom. '.' is part of atoms so
// that dot-atoms and obs-phrase ("Joe Q. Public") are one token; stray
// ')', ']' and '\' are taken as atom characters rather than lost.
func atomEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '(', '"', '[', '<', '>', '@', ':', ';', ',':
		return true
	}
	return false
}

// lexAddresses splits an address list into tokens. It never fails: an
// unterminated quoted-string, comment or domain literal makes its opening
// character an ordinary atom character, so one broken address does not
// swallow the ones after it.
//
// A failed scan has read to the end of the value; to keep lexing linear,
// later scans are not tried once they are bound to fail too (quotes and
// domain literals: nothing after a failed one can close either), or after
// a few failures (comments nest, so a later one may still close).
func lexAddresses(s string) []token {
	var toks []token
	sp := false
	quoteFailed, literalFailed := false, false
	commentFailures := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			sp = true
			i++
			continue
		case '<', '>', '@', ':', ';', ',':
			toks = append(toks, token{kind: tokSpecial, text: s[i : i+1], sp: sp})
			sp = false
			i++
			continue
		case '(':
			if commentFailures < maxCommentFailures {
				if end, text, ok := scanDelimited(s, i, ')', true); ok {
					toks = append(toks, token{kind: tokComment, text: trimWS(text), sp: sp})
					sp = true // a comment separates words like whitespace does
					i = end
					continue
				}
				commentFailures++
			}
		case '"':
			if !quoteFailed {
				if end, text, ok := scanDelimited(s, i, '"', false); ok {
					toks = append(toks, token{kind: tokQuoted, text: text, sp: sp})
					sp = false
					i = end
					continue
				}
				quoteFailed = true
			}
		case '[':
			// RFC 5322 §3.4.1 domain-literal, kept raw with its brackets.
			if !literalFailed {
				if end := strings.IndexByte(s[i:], ']'); end >= 0 {
					toks = append(toks, token{kind: tokAtom, text: s[i : i+end+1], sp: sp})
					sp = false
					i += end + 1
					continue
				}
				literalFailed = true
			}
		}
		// An atom; its first character may be an unterminated '(', '"' or '['.
		j := i + 1
		for j < len(s) && !atomEnd(s[j]) {
			j++
		}
		toks = append(toks, token{kind: tokAtom, text: s[i:j], sp: sp})
		sp = false
		i = j
	}
	return toks
}

// scanDelimited reads a quoted-string or (nestable) comment starting at
// s[i], unescaping quoted-pairs. ok is false when it is not terminated.
func scanDelimited(s string, i int, closer byte, nest bool) (end int, text string, ok bool) {
	var b strings.Builder
	depth := 1
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '\\' && j+1 < len(s):
			j++
			b.WriteByte(s[j])
			continue
		case nest && c == '(':
			depth++
		case c == closer:
			depth--
			if depth == 0 {
				return j + 1, b.String(), true
			}
		}
		b.WriteByte(c)
	}
	return 0, "", false
}
