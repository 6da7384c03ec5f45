package structure

import "strings"

// field names the header fields Parse keeps; all others are skipped.
type field uint8

const (
	fDate field = iota
	fSubject
	fFrom
	fSender
	fReplyTo
	fTo
	fCc
	fBcc
	fInReplyTo
	fMessageID
	fContentType
	fContentTransferEncoding
	fContentID
	fContentDescription
	fContentMD5
	fContentDisposition
	fContentLanguage
	fContentLocation
	nFields
)

var fieldNames = [nFields]string{
	fDate:                    "Date",
	fSubject:                 "Subject",
	fFrom:                    "From",
	fSender:                  "Sender",
	fReplyTo:                 "Reply-To",
	fTo:                      "To",
	fCc:                      "Cc",
	fBcc:                     "Bcc",
	fInReplyTo:               "In-Reply-To",
	fMessageID:               "Message-ID",
	fContentType:             "Content-Type",
	fContentTransferEncoding: "Content-Transfer-Encoding",
	fContentID:               "Content-ID",
	fContentDescription:      "Content-Description",
	fContentMD5:              "Content-MD5",
	fContentDisposition:      "Content-Disposition",
	fContentLanguage:         "Content-Language",
	fContentLocation:         "Content-Location",
}

// lookupField returns the field for a header field name, or nFields.
// RFC 5322 §1.2.2: field names are case-insensitive.
func lookupField(name []byte) field {
	for f, n := range fieldNames {
		if equalFoldASCII(n, name) {
			return field(f)
		}
	}
	return nFields
}

// equalFoldASCII compares an ASCII name with b case-insensitively without
// converting b to a string.
func equalFoldASCII(name string, b []byte) bool {
	if len(name) != len(b) {
		return false
	}
	for i := range len(b) {
		if lowerASCII(name[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// toLowerASCII lower-cases ASCII letters only. strings.ToLower would
// rewrite invalid UTF-8 as U+FFFD, and header bytes must survive as they are.
func toLowerASCII(s string) string {
	for i := range len(s) {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerASCII(b[j])
			}
			return string(b)
		}
	}
	return s
}

// header holds the kept fields of one header block, unfolded.
type header struct {
	vals [nFields][]byte
	seen [nFields]bool
}

// get returns a field's value unfolded with surrounding whitespace trimmed,
// "" when absent.
func (h *header) get(f field) string {
	return trimWS(string(h.vals[f]))
}

// trimWS trims the whitespace an unfolded header value may start or end
// with. Unlike strings.TrimSpace it leaves non-ASCII bytes alone: header
// values may be 8-bit and must be kept byte for byte.
func trimWS(s string) string {
	return strings.Trim(s, " \t\r\n")
}

// header reads one header block. It returns blank=true when the block ended
// with an empty line, and otherwise the stop (a delimiter of an enclosing
// multipart or the end of input) that ended it.
func (p *parser) header() (h header, st stop, blank bool) {
	cur := nFields // the field continuation lines belong to; nFields: none
	count := 0
	for {
		l, st, isStop := p.next(maxFieldLen)
		if isStop {
			return h, st, false
		}
		if l.empty {
			// RFC 5322 §2.1: the header ends at the first empty line.
			return h, st, true
		}
		if c := l.text[0]; c == ' ' || c == '\t' {
			// RFC 5322 §2.2.3: unfolding removes the CRLF before the WSP,
			// so the continuation is appended as it is.
			if cur != nFields {
				h.vals[cur] = p.keep(h.vals[cur], l.text)
			}
			continue
		}
		cur = nFields
		name, value, ok := splitField(l.text)
		if !ok {
			// Not a field (an mbox "From " line, junk): skipped, as the
			// header must never make the message unreadable.
			continue
		}
		count++
		if count > maxHeaderFields {
			continue
		}
		f := lookupField(name)
		if f == nFields || h.seen[f] {
			// RFC 5322 §3.6 allows most fields once; when a field repeats,
			// the first occurrence is used.
			continue
		}
		h.seen[f] = true
		h.vals[f] = p.keep(nil, value)
		cur = f
	}
}

// keep appends b to a field value up to maxFieldLen and what is left of the
// message-wide budget.
func (p *parser) keep(v, b []byte) []byte {
	n := min(len(b), maxFieldLen-len(v), p.budget)
	if n <= 0 {
		return v
	}
	p.budget -= n
	return append(v, b[:n]...)
}

// splitField splits "name: value". RFC 5322 §3.6.8: a field name is
// printable US-ASCII except colon; §4.5 (obsolete) allows WSP before the
// colon.
func splitField(text []byte) (name, value []byte, ok bool) {
	i := 0
	for i < len(text) && text[i] != ':' {
		i++
	}
	if i == len(text) {
		return nil, nil, false
	}
	name = text[:i]
	for len(name) > 0 && (name[len(name)-1] == ' ' || name[len(name)-1] == '\t') {
		name = name[:len(name)-1]
	}
	if len(name) == 0 {
		return nil, nil, false
	}
	for _, c := range name {
		if c < 33 || c > 126 {
			return nil, nil, false
		}
	}
	return name, text[i+1:], true
}
