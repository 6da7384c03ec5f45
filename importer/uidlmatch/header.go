package uidlmatch

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"errors"
	"io"
)

// MaxHeader bounds how much of a message HeaderHash reads looking for the
// end of the header: a header larger than this (none is, in real mail) is
// hashed as far as read, on both sides alike.
const MaxHeader = 1 << 20

// skipped are the header fields left out of the hash, lower-case: those a
// server adds or changes by itself, so that the POP3 and the IMAP view of
// one message disagree on them (LEGACY-FORMATS.md §b.5, from Dovecot's
// pop3-migration plugin: Yahoo's IMAP has Return-Path where its POP3 has
// not; the others are mbox and client status fields).
var skipped = map[string]bool{
	"content-length":          true,
	"return-path":             true,
	"status":                  true,
	"x-imap":                  true,
	"x-imapbase":              true,
	"x-keywords":              true,
	"x-message-flag":          true,
	"x-status":                true,
	"x-uid":                   true,
	"x-uidl":                  true,
	"x-yahoo-newman-property": true,
}

// Hash is the SHA-1 of a normalised header.
type Hash [sha1.Size]byte

// HeaderHash reads a message (or only its header, as TOP n 0 and
// BODY.PEEK[HEADER] give it) and hashes its header normalised as
// LEGACY-FORMATS.md §b.5 describes, so that the POP3 and the IMAP view of one
// message give the same hash although legacy servers alter headers in small
// ways:
//   - the fields in skipped are left out;
//   - fields whose name is not printable ASCII (Yahoo), lines without a
//     colon that are not continuations (Zimbra), and continuation lines of
//     white space only are left out;
//   - control and 8-bit bytes become '?', and runs of '?' one '?' (NUL sent
//     as 0x80, 8-bit sent as '?'), and spaces and tabs are dropped (Zimbra
//     trims trailing white space), as Dovecot's message_header_hash v4 does.
//
// The header ends at an empty line (CRLF, LF, or CR CR LF). complete is
// false when the input ended first: a server that truncates the header
// (Oracle IMS and Courier do so for BODY[HEADER]), after which the caller
// hashes the whole message (RETR, BODY[]) instead. A message with no body
// and no empty line is also incomplete, and the whole message gives the
// same hash again.
func HeaderHash(r io.Reader) (h Hash, complete bool, err error) {
	br := bufio.NewReader(io.LimitReader(r, MaxHeader))
	sum := sha1.New()
	var norm []byte
	keep := false // the current field is hashed (its continuation lines too)
	for {
		line, rerr := br.ReadSlice('\n')
		if errors.Is(rerr, bufio.ErrBufferFull) {
			// A very long line: read the rest of it.
			full := append([]byte(nil), line...)
			for errors.Is(rerr, bufio.ErrBufferFull) {
				line, rerr = br.ReadSlice('\n')
				full = append(full, line...)
			}
			line = full
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return h, false, rerr
		}
		body := trimEOL(line)
		if len(body) == 0 && len(line) > 0 {
			copy(h[:], sum.Sum(nil))
			return h, true, nil
		}
		if len(line) > 0 {
			switch {
			case body[0] == ' ' || body[0] == '\t':
				if keep && len(bytes.Trim(body, " \t")) > 0 {
					norm = normalise(norm[:0], body)
					sum.Write(norm)
				}
			default:
				name, _, ok := bytes.Cut(body, []byte(":"))
				keep = ok && validName(name) && !skipped[string(bytes.ToLower(name))]
				if keep {
					norm = normalise(norm[:0], body)
					sum.Write(norm)
				}
			}
		}
		if rerr != nil { // io.EOF: no empty line
			copy(h[:], sum.Sum(nil))
			return h, false, nil
		}
	}
}

// trimEOL removes a line's end: LF, CRLF, and also CR CR LF, which Dovecot
// reads as an empty line too.
func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 1 && line[0] == '\r' {
		return line[:0]
	}
	return line
}

// validName reports whether a field name is RFC 5322 §2.2's printable
// US-ASCII other than the colon.
func validName(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// normalise appends line to dst with spaces and tabs dropped, control and
// 8-bit bytes as '?', and runs of '?' as one.
func normalise(dst, line []byte) []byte {
	for _, c := range line {
		switch {
		case c == ' ' || c == '\t':
			continue
		case c < 0x20 || c >= 0x7f:
			c = '?'
		}
		if c == '?' && len(dst) > 0 && dst[len(dst)-1] == '?' {
			continue
		}
		dst = append(dst, c)
	}
	return dst
}
