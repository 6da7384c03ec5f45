package maildir

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ferrymail/ferrymail/importer/uidl"
)

// Courier's identifier files (LEGACY-FORMATS.md §b.2; courier-libs
// imap/imapscanclient.C and imap/pop3dserver.C, and Dovecot's
// courier-dovecot-migrate.pl).

// UIDDB is a parsed courierimapuiddb.
type UIDDB struct {
	UIDValidity uint32
	NextUID     uint32
	UIDs        map[string]uint32 // base filename → UID
}

// ParseUIDDB reads courierimapuiddb (IMAPDBVERSION 1): "1 <uidvalidity>
// <nextuid>", then "<uid> <base filename>" lines. UIDs that do not ascend
// are left out and reported in warnings.
func ParseUIDDB(r io.Reader, name string) (*UIDDB, []string, error) {
	var warnings []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLineLength)
	if !sc.Scan() {
		return nil, nil, fmt.Errorf("%s:1: empty file", name)
	}
	f := strings.Fields(sc.Text())
	if len(f) != 3 || f[0] != "1" {
		return nil, nil, fmt.Errorf("%s:1: unknown header %q (want \"1 <uidvalidity> <nextuid>\")", name, sc.Text())
	}
	uv, err1 := strconv.ParseUint(f[1], 10, 32)
	next, err2 := strconv.ParseUint(f[2], 10, 32)
	if err1 != nil || err2 != nil {
		return nil, nil, fmt.Errorf("%s:1: bad header %q", name, sc.Text())
	}
	db := &UIDDB{UIDValidity: uint32(uv), NextUID: uint32(next), UIDs: map[string]uint32{}}
	line := 1
	var last uint64
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		uidText, fname, ok := strings.Cut(text, " ")
		uid, err := strconv.ParseUint(uidText, 10, 32)
		switch {
		case !ok || err != nil || uid == 0 || BaseName(fname) == "":
			warnings = append(warnings, fmt.Sprintf("%s:%d: bad line %q ignored", name, line, text))
			continue
		case uid <= last:
			warnings = append(warnings, fmt.Sprintf("%s:%d: UIDs not ordered (%d after %d): %s gets a new UID", name, line, uid, last, fname))
			continue
		}
		last = uid
		db.UIDs[BaseName(fname)] = uint32(uid)
	}
	if err := sc.Err(); err != nil {
		warnings = append(warnings, fmt.Sprintf("%s:%d: %v", name, line+1, err))
	}
	return db, warnings, nil
}

// SizeList is a parsed courierpop3dsizelist: Courier POP3's own listing,
// with its own UID counter and UIDVALIDITY.
type SizeList struct {
	Version int
	Entries map[string]SizeEntry // base filename → entry
}

// SizeEntry is one message of the POP3 listing.
type SizeEntry struct {
	Order uint32 // position in the listing, from 1 (the POP3 message number)
	Size  int64  // octets with CRLF line ends
	UIDL  string // what Courier's UIDL command answered
}

// ParsePOP3DSizeList reads courierpop3dsizelist in any of its versions:
//
//	v3: "/3 <nextuid> <uidv>", then "<filename> <size> <uid>:<uidv>:<isutf8>"
//	v2: "/2 <nextuid> <uidv>", then "<filename> <size> <uid>:<uidv>"
//	v1: "/1 <nextuid>",        then "<filename> <size> <uid>"
//	v0: no header,             then "<filename> <size>"
//
// The UIDL is "UID<uid>-<uidv>" ("UID<uid>" when uidv is 0) for v1–v3, and
// the escaped base filename for v0 (uidl.CourierUID, uidl.CourierV0).
func ParsePOP3DSizeList(r io.Reader, name string) (*SizeList, []string, error) {
	var warnings []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLineLength)
	sl := &SizeList{Entries: map[string]SizeEntry{}}
	line := 0
	var order uint32
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 && strings.HasPrefix(text, "/") {
			f := strings.Fields(text)
			v, err := strconv.Atoi(strings.TrimPrefix(f[0], "/"))
			if err != nil || v < 1 || v > 3 {
				return nil, nil, fmt.Errorf("%s:1: unknown version %q", name, f[0])
			}
			sl.Version = v
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Fields(text)
		want := 3
		if sl.Version == 0 {
			want = 2
		}
		if len(f) != want {
			warnings = append(warnings, fmt.Sprintf("%s:%d: bad line %q ignored", name, line, text))
			continue
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || size < 0 {
			warnings = append(warnings, fmt.Sprintf("%s:%d: bad size in %q: line ignored", name, line, text))
			continue
		}
		base := BaseName(f[0])
		if base == "" {
			warnings = append(warnings, fmt.Sprintf("%s:%d: no filename in %q: line ignored", name, line, text))
			continue
		}
		e := SizeEntry{Size: size}
		if sl.Version == 0 {
			e.UIDL = uidl.CourierV0(base)
		} else {
			parts := strings.Split(f[2], ":")
			uid, err := strconv.ParseUint(parts[0], 10, 64)
			var uidv uint64
			if err == nil && sl.Version >= 2 {
				if len(parts) < 2 {
					err = fmt.Errorf("no UIDVALIDITY")
				} else {
					uidv, err = strconv.ParseUint(parts[1], 10, 64)
				}
			}
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("%s:%d: bad UID in %q: line ignored", name, line, text))
				continue
			}
			e.UIDL = uidl.CourierUID(uid, uidv)
		}
		if _, dup := sl.Entries[base]; dup {
			warnings = append(warnings, fmt.Sprintf("%s:%d: %s listed twice: line ignored", name, line, base))
			continue
		}
		order++
		e.Order = order
		sl.Entries[base] = e
	}
	if err := sc.Err(); err != nil {
		warnings = append(warnings, fmt.Sprintf("%s:%d: %v", name, line+1, err))
	}
	return sl, warnings, nil
}

// CourierKeywords is a parsed courierimapkeywords/:list.
type CourierKeywords map[string][]string // base filename → keywords

// ParseCourierKeywords reads courierimapkeywords/:list: keyword names one
// per line, a blank line, then "<base filename>:<index index …>" lines.
func ParseCourierKeywords(r io.Reader, name string) (CourierKeywords, []string) {
	var warnings []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLineLength)
	var names []string
	out := CourierKeywords{}
	line := 0
	inNames := true
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if inNames {
			if text == "" {
				inNames = false
				continue
			}
			names = append(names, text)
			continue
		}
		if text == "" {
			continue
		}
		i := strings.LastIndexByte(text, ':')
		if i <= 0 {
			warnings = append(warnings, fmt.Sprintf("%s:%d: bad line %q ignored", name, line, text))
			continue
		}
		base := BaseName(text[:i])
		for _, idx := range strings.Fields(text[i+1:]) {
			n, err := strconv.Atoi(idx)
			if err != nil || n < 0 || n >= len(names) {
				warnings = append(warnings, fmt.Sprintf("%s:%d: keyword index %q unknown", name, line, idx))
				continue
			}
			out[base] = append(out[base], names[n])
		}
	}
	if err := sc.Err(); err != nil {
		warnings = append(warnings, fmt.Sprintf("%s:%d: %v", name, line+1, err))
	}
	return out, warnings
}
