// Package mutf7 decodes and encodes the modified UTF-7 of IMAP mailbox
// names (RFC 3501 §5.1.3), in which Courier, Dovecot and UW-IMAP keep
// folder names on disk (Maildir++ ".Name" directories, subscription files).
//
// go-imap has an equivalent package, but it is internal to go-imap.
package mutf7

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every decoding error.
var ErrInvalid = errors.New("invalid modified UTF-7")

// alphabet is RFC 2152's base64 with ',' in place of '/' (RFC 3501 §5.1.3:
// "modified BASE64, with a modification from [UTF-7] … ',' is used instead
// of '/'").
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,"

var decodeMap = func() (m [256]int8) {
	for i := range m {
		m[i] = -1
	}
	for i := 0; i < len(alphabet); i++ {
		m[alphabet[i]] = int8(i)
	}
	return m
}()

// Decode returns the UTF-8 form of a modified UTF-7 name. It is strict, as
// RFC 3501 §5.1.3 asks: printable US-ASCII other than "&" stands for itself,
// "&-" is "&", a shifted run must be properly terminated by "-", must not be
// empty, must not encode printable US-ASCII, must have zero padding bits and
// must encode well-formed UTF-16.
func Decode(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", fail(i, "byte 0x%02x outside printable US-ASCII", c)
		}
		if c != '&' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "", fail(i, "unterminated shift")
		}
		run := s[i+1 : i+1+end]
		if run == "" {
			b.WriteByte('&')
			i++
			continue
		}
		if err := decodeRun(&b, run, i); err != nil {
			return "", err
		}
		i += 1 + end
		// "&Jjo-&U,BTFw-" is not canonical: two runs must be one.
		if i+1 < len(s) && s[i+1] == '&' && i+2 < len(s) && s[i+2] != '-' {
			return "", fail(i+1, "adjacent shifted runs")
		}
	}
	return b.String(), nil
}

func decodeRun(b *strings.Builder, run string, at int) error {
	var units []uint16
	var acc uint32
	bits := 0
	for j := 0; j < len(run); j++ {
		v := decodeMap[run[j]]
		if v < 0 {
			return fail(at+1+j, "byte %q is not modified base64", run[j])
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 16 {
			bits -= 16
			units = append(units, uint16(acc>>bits))
			acc &= 1<<bits - 1
		}
	}
	if bits >= 6 || acc != 0 {
		return fail(at, "bad padding in shifted run")
	}
	if len(units) == 0 {
		return fail(at, "empty shifted run")
	}
	for k := 0; k < len(units); k++ {
		u := units[k]
		switch {
		case utf16.IsSurrogate(rune(u)):
			if u >= 0xdc00 || k+1 >= len(units) || units[k+1] < 0xdc00 || units[k+1] > 0xdfff {
				return fail(at, "unpaired surrogate in shifted run")
			}
			b.WriteRune(utf16.DecodeRune(rune(u), rune(units[k+1])))
			k++
		case u >= 0x20 && u <= 0x7e:
			return fail(at, "shifted run encodes printable US-ASCII")
		default:
			b.WriteRune(rune(u))
		}
	}
	return nil
}

func fail(at int, format string, args ...any) error {
	return fmt.Errorf("%w: %s at byte %d", ErrInvalid, fmt.Sprintf(format, args...), at)
}

// Encode returns the modified UTF-7 form of a UTF-8 name. Invalid UTF-8 is
// encoded as U+FFFD.
func Encode(s string) string {
	var b strings.Builder
	var units []uint16
	flush := func() {
		if len(units) == 0 {
			return
		}
		b.WriteByte('&')
		var acc uint32
		bits := 0
		for _, u := range units {
			acc = acc<<16 | uint32(u)
			bits += 16
			for bits >= 6 {
				bits -= 6
				b.WriteByte(alphabet[(acc>>bits)&63])
			}
			acc &= 1<<bits - 1
		}
		if bits > 0 {
			b.WriteByte(alphabet[(acc<<(6-bits))&63])
		}
		b.WriteByte('-')
		units = units[:0]
	}
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e {
			flush()
			if r == '&' {
				b.WriteString("&-")
			} else {
				b.WriteRune(r)
			}
			continue
		}
		if r == utf8.RuneError {
			r = 0xfffd
		}
		if r1, r2 := utf16.EncodeRune(r); r1 != 0xfffd || r2 != 0xfffd {
			units = append(units, uint16(r1), uint16(r2))
		} else {
			units = append(units, uint16(r))
		}
	}
	flush()
	return b.String()
}
