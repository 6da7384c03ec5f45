package maildir

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits of the legacy-file parsers: a line longer than this is malformed
// (the longest real ones are a Maildir filename plus a 70-byte UIDL).
const maxLineLength = 64 << 10

// UIDList is a parsed dovecot-uidlist (LEGACY-FORMATS.md §b.1; Dovecot's
// src/lib-storage/index/maildir/maildir-uidlist.c).
type UIDList struct {
	Version     int
	UIDValidity uint32
	NextUID     uint32
	GUID        string          // header G: the mailbox GUID, hex
	Header      map[byte]string // every header key of version 3, unknown ones too
	Records     []UIDRecord     // strictly ascending UIDs
}

// UIDRecord is one message line.
type UIDRecord struct {
	UID      uint32
	Ext      map[byte]string // version 3 fields: P (UIDL), O (POP3 order), W, S, G …
	Filename string          // as recorded; its base name is up to the first ':'
	Line     int
}

// POP3UIDL returns the record's P field, the UIDL that overrides the
// default format.
func (r *UIDRecord) POP3UIDL() string { return r.Ext['P'] }

// POP3Order returns the record's O field, 0 if none.
func (r *UIDRecord) POP3Order() uint32 {
	n, err := strconv.ParseUint(r.Ext['O'], 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// ParseUIDList reads a dovecot-uidlist. It never fails on bad content: a
// malformed line, or a UID that does not ascend ("UIDs not ordered", as
// Dovecot calls it), is left out and reported in warnings, each
// "name:line: what". Only an unreadable header is an error.
func ParseUIDList(r io.Reader, name string) (*UIDList, []string, error) {
	var warnings []string
	warn := func(line int, format string, args ...any) {
		warnings = append(warnings, fmt.Sprintf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLineLength)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, nil, fmt.Errorf("%s:1: %w", name, err)
		}
		return nil, nil, fmt.Errorf("%s:1: empty file", name)
	}
	ul := &UIDList{Header: map[byte]string{}}
	fields := strings.Fields(sc.Text())
	if len(fields) == 0 {
		return nil, nil, fmt.Errorf("%s:1: empty header", name)
	}
	v, err := strconv.Atoi(fields[0])
	if err != nil || v < 1 || v > 3 {
		return nil, nil, fmt.Errorf("%s:1: unknown version %q", name, fields[0])
	}
	ul.Version = v
	switch v {
	case 1, 2:
		if len(fields) < 3 {
			return nil, nil, fmt.Errorf("%s:1: header needs UIDVALIDITY and next UID", name)
		}
		uv, err1 := strconv.ParseUint(fields[1], 10, 32)
		next, err2 := strconv.ParseUint(fields[2], 10, 32)
		if err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("%s:1: bad header %q", name, sc.Text())
		}
		ul.UIDValidity, ul.NextUID = uint32(uv), uint32(next)
	case 3:
		for _, f := range fields[1:] {
			if f[0] < 'A' || f[0] > 'Z' {
				warn(1, "header field %q ignored", f)
				continue
			}
			ul.Header[f[0]] = f[1:]
		}
		uv, err1 := strconv.ParseUint(ul.Header['V'], 10, 32)
		next, err2 := strconv.ParseUint(ul.Header['N'], 10, 32)
		if err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("%s:1: header lacks a valid V (UIDVALIDITY) or N (next UID): %q", name, sc.Text())
		}
		ul.UIDValidity, ul.NextUID, ul.GUID = uint32(uv), uint32(next), ul.Header['G']
	}
	line := 1
	var last uint32
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		rec, err := parseRecord(text, ul.Version)
		if err != nil {
			warn(line, "%v: line ignored", err)
			continue
		}
		if rec.UID <= last {
			warn(line, "UIDs not ordered (%d after %d): %s gets a new UID", rec.UID, last, rec.Filename)
			continue
		}
		last = rec.UID
		rec.Line = line
		ul.Records = append(ul.Records, rec)
	}
	if err := sc.Err(); err != nil {
		warn(line+1, "%v: the rest of the file is ignored", err)
	}
	return ul, warnings, nil
}

func parseRecord(text string, version int) (UIDRecord, error) {
	var rec UIDRecord
	uidText, rest, ok := strings.Cut(text, " ")
	if !ok {
		return rec, fmt.Errorf("no filename")
	}
	uid, err := strconv.ParseUint(uidText, 10, 32)
	if err != nil || uid == 0 {
		return rec, fmt.Errorf("bad UID %q", uidText)
	}
	rec.UID = uint32(uid)
	switch version {
	case 1:
		rec.Filename = rest
	case 2:
		// "<uid> <flags> <filename>"
		_, fname, ok := strings.Cut(rest, " ")
		if !ok {
			return rec, fmt.Errorf("no filename")
		}
		rec.Filename = fname
	case 3:
		// "<uid> [<key><value> ...] :<filename>"
		for {
			rest = strings.TrimLeft(rest, " ")
			if rest == "" {
				return rec, fmt.Errorf("no filename")
			}
			if rest[0] == ':' {
				rec.Filename = rest[1:]
				break
			}
			tok, after, _ := strings.Cut(rest, " ")
			if tok[0] < 'A' || tok[0] > 'Z' {
				return rec, fmt.Errorf("bad field %q", tok)
			}
			if rec.Ext == nil {
				rec.Ext = map[byte]string{}
			}
			rec.Ext[tok[0]] = tok[1:]
			rest = after
		}
	}
	if rec.Filename == "" || strings.ContainsAny(rec.Filename, "/\x00") {
		return rec, fmt.Errorf("bad filename %q", rec.Filename)
	}
	return rec, nil
}

// BaseName is a Maildir filename up to its info part (":2,…").
func BaseName(filename string) string {
	if i := strings.IndexByte(filename, ':'); i >= 0 {
		return filename[:i]
	}
	return filename
}
