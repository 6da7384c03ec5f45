package imapsrc

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ferrymail/ferrymail/importer/spool"
)

// MailboxStatus is what EXAMINE (and STATUS where EXAMINE lacks it) says
// about a mailbox.
type MailboxStatus struct {
	UIDValidity   uint32 // 0: the server gave none
	UIDNext       uint32 // 0: the server gave none
	Exists        uint32
	HighestModSeq uint64 // RFC 7162 §3.1.2.1, 0 without CONDSTORE
	// FromStatus names what STATUS had to supply ("UIDNEXT" …).
	FromStatus []string
}

// Examine opens a mailbox read-only (RFC 9051 §6.3.3: EXAMINE, never
// SELECT, so that nothing, not even \Recent, changes at the source). raw
// is the name as LIST gave it. When the server leaves out UIDVALIDITY or
// UIDNEXT (RFC 2060-era servers), STATUS (RFC 9051 §6.3.11) is asked. On
// a server with CONDSTORE, EXAMINE carries the CONDSTORE parameter (RFC
// 7162 §3.1.8), so that HIGHESTMODSEQ is reported.
func (c *Client) Examine(raw string) (MailboxStatus, error) {
	args := []any{"EXAMINE", astring(raw)}
	if c.Has("CONDSTORE") {
		args = append(args, "(CONDSTORE)")
	}
	var st MailboxStatus
	var haveUV, haveNext bool
	_, err := c.run(func(r *response) bool {
		switch {
		case r.kind == "EXISTS" && r.hasNum:
			st.Exists = r.num
		case r.kind == "OK" && r.code == "UIDVALIDITY":
			if n, err := strconv.ParseUint(strings.TrimSpace(r.codeArgs), 10, 32); err == nil {
				st.UIDValidity, haveUV = uint32(n), true
			}
		case r.kind == "OK" && r.code == "UIDNEXT":
			if n, err := strconv.ParseUint(strings.TrimSpace(r.codeArgs), 10, 32); err == nil {
				st.UIDNext, haveNext = uint32(n), true
			}
		case r.kind == "OK" && r.code == "HIGHESTMODSEQ":
			st.HighestModSeq, _ = strconv.ParseUint(strings.TrimSpace(r.codeArgs), 10, 64)
		}
		return false
	}, args...)
	if err != nil {
		return st, err
	}
	if haveUV && haveNext {
		return st, nil
	}
	_, err = c.run(func(r *response) bool {
		if r.kind != "STATUS" || len(r.fields) < 2 || r.fields[1].kind != vList {
			return false
		}
		l := r.fields[1].list
		for i := 0; i+1 < len(l); i += 2 {
			n, err := strconv.ParseUint(l[i+1].str(), 10, 32)
			if err != nil {
				continue
			}
			switch strings.ToUpper(l[i].str()) {
			case "UIDVALIDITY":
				if !haveUV {
					st.UIDValidity, haveUV = uint32(n), true
					st.FromStatus = append(st.FromStatus, "UIDVALIDITY")
				}
			case "UIDNEXT":
				if !haveNext {
					st.UIDNext, haveNext = uint32(n), true
					st.FromStatus = append(st.FromStatus, "UIDNEXT")
				}
			}
		}
		return false
	}, "STATUS", astring(raw), "(UIDNEXT UIDVALIDITY)")
	if err != nil && connLost(err) {
		return st, err
	}
	return st, nil // a refused STATUS leaves them 0: unknown
}

// MessageMeta is what UID FETCH (UID FLAGS INTERNALDATE RFC822.SIZE) says
// about one message.
type MessageMeta struct {
	Seq          uint32
	UID          uint32
	Flags        []string // as sent, \Recent included
	InternalDate time.Time
	Size         int64  // RFC822.SIZE as announced (-1: none); the bytes received count
	ModSeq       uint64 // RFC 7162 §3.1.4 MODSEQ on a CONDSTORE server, else 0
}

// FetchMeta lists the messages of the examined mailbox, in UID order: the
// cheap listing from which the importer decides what to fetch. exists is
// EXAMINE's count: an empty mailbox is not asked (some servers answer
// "1:*" on it with BAD).
func (c *Client) FetchMeta(exists uint32) ([]MessageMeta, error) {
	return c.fetchMeta(exists, c.metaItems("UID FLAGS INTERNALDATE RFC822.SIZE"))
}

// metaItems adds MODSEQ (RFC 7162 §3.1.4.1) on a CONDSTORE server.
func (c *Client) metaItems(items string) string {
	if c.Has("CONDSTORE") {
		items += " MODSEQ"
	}
	return "(" + items + ")"
}

func (c *Client) fetchMeta(exists uint32, items string) ([]MessageMeta, error) {
	if exists == 0 {
		return nil, nil
	}
	byUID := map[uint32]int{}
	var out []MessageMeta
	_, err := c.run(func(r *response) bool {
		f, ok := parseFetch(r)
		if !ok || f.uid == 0 {
			f.release()
			return false
		}
		f.release()
		m := MessageMeta{Seq: f.seq, UID: f.uid, Flags: f.flags, InternalDate: f.date, Size: f.size, ModSeq: f.modseq}
		if i, dup := byUID[f.uid]; dup {
			out[i] = m
		} else {
			byUID[f.uid] = len(out)
			out = append(out, m)
		}
		return false
	}, "UID", "FETCH", "1:*", items)
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UID < out[j].UID })
	return out, nil
}

// fetched is one FETCH response, its items in any order (GO-IMAP-NOTES.md
// §5.3: legacy servers send UID after the body literal).
type fetched struct {
	seq    uint32
	uid    uint32
	flags  []string
	date   time.Time
	size   int64
	modseq uint64
	// bodies by section: "" for BODY[] (or RFC822), "HEADER", "TEXT". A
	// NIL body is a key with a nil value (nilBody).
	bodies map[string]*spool.Body
	nils   map[string]bool
}

func (f *fetched) release() {
	for k, b := range f.bodies {
		b.Close()
		delete(f.bodies, k)
	}
}

// parseFetch reads "* n FETCH (item value …)". Items it does not know
// (X-GM-MSGID, vendor extensions, MODSEQ) are skipped.
func parseFetch(r *response) (*fetched, bool) {
	f := &fetched{seq: r.num, size: -1, bodies: map[string]*spool.Body{}, nils: map[string]bool{}}
	if r.kind != "FETCH" || len(r.fields) == 0 || r.fields[0].kind != vList {
		return f, false
	}
	l := r.fields[0].list
	for i := 0; i+1 < len(l); i += 2 {
		name, v := strings.ToUpper(l[i].str()), &l[i+1]
		switch {
		case name == "UID":
			if n, err := strconv.ParseUint(v.str(), 10, 32); err == nil {
				f.uid = uint32(n)
			}
		case name == "FLAGS":
			for _, fl := range v.list {
				if s := fl.str(); s != "" {
					f.flags = append(f.flags, s)
				}
			}
		case name == "MODSEQ" && v.kind == vList && len(v.list) == 1:
			// RFC 7162 §7: "MODSEQ" SP "(" mod-sequence-value ")"
			f.modseq, _ = strconv.ParseUint(v.list[0].str(), 10, 64)
		case name == "INTERNALDATE":
			f.date = parseDate(v.str())
		case name == "RFC822.SIZE":
			if n, err := strconv.ParseInt(v.str(), 10, 64); err == nil {
				f.size = n
			}
		case name == "RFC822" || strings.HasPrefix(name, "BODY["):
			sec := "" // "RFC822" is BODY[] by RFC 9051 §6.4.5
			if name != "RFC822" {
				sec = strings.TrimPrefix(name, "BODY[")
				sec, _, _ = strings.Cut(sec, "]")
			}
			switch v.kind {
			case vNil:
				f.nils[sec] = true
			case vSpool:
				f.bodies[sec] = v.lit
				v.lit = nil
			case vString, vAtom:
				sp := newSpool("")
				sp.Write([]byte(v.s))
				sp.Ready()
				f.bodies[sec] = sp
			}
		}
	}
	return f, true
}

// parseDate reads date-time = DQUOTE date-day-fixed "-" date-month "-"
// date-year SP time SP zone DQUOTE (RFC 9051 §9), and the same without
// the leading space or zone that some servers send. Zero if unreadable.
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"_2-Jan-2006 15:04:05 -0700", "2-Jan-2006 15:04:05 -0700", "_2-Jan-2006 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// uidSet writes sorted UIDs as a sequence set, runs as ranges.
func uidSet(uids []uint32) string {
	var b strings.Builder
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(uids[i]), 10))
		if j > i {
			fmt.Fprintf(&b, ":%d", uids[j])
		}
		i = j + 1
	}
	return b.String()
}

// fetchBodies sends UID FETCH set (UID items) and hands each response with
// a UID to got, which owns its bodies. A server that leaves UID out of its
// answer (against RFC 9051 §6.4.9) is understood through seqUID, the
// sequence numbers of the listing (nil: unknown), as long as no EXPUNGE
// has come since, and only for a UID that was asked for.
func (c *Client) fetchBodies(uids []uint32, items string, seqUID map[uint32]uint32, got func(*fetched)) error {
	asked := make(map[uint32]bool, len(uids))
	for _, u := range uids {
		asked[u] = true
	}
	_, err := c.run(func(r *response) bool {
		if r.kind == "EXPUNGE" || r.kind == "VANISHED" {
			clear(seqUID) // sequence numbers moved
			return false
		}
		f, ok := parseFetch(r)
		if !ok {
			return false
		}
		if f.uid == 0 && asked[seqUID[f.seq]] {
			f.uid = seqUID[f.seq]
		}
		if f.uid == 0 || (len(f.bodies) == 0 && len(f.nils) == 0) {
			f.release() // a flag update, or nothing to go by
			return false
		}
		got(f)
		return false // the bodies were taken out; the rest is released
	}, "UID", "FETCH", uidSet(uids), "(UID "+items+")")
	return err
}
