package verify

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Kind names a kind of difference.
type Kind string

const (
	MissingMailbox Kind = "missing mailbox" // on the old server, not the new
	ExtraMailbox   Kind = "extra mailbox"   // on the new server, not the old, with messages
	UIDValidity    Kind = "UIDVALIDITY"
	UIDNextSmaller Kind = "UIDNEXT smaller"
	MissingUID     Kind = "missing UID"
	ExtraUID       Kind = "extra UID"
	Size           Kind = "size"
	Flags          Kind = "flags"
	MissingUIDL    Kind = "missing UIDL"
	ExtraUIDL      Kind = "extra UIDL"
	UIDLSize       Kind = "UIDL size"
	UIDLOrder      Kind = "UIDL order"
)

// Difference is one thing a client would notice.
type Difference struct {
	Kind Kind
	UID  uint32 // for the per-message kinds
	Text string // what differs, old then new
}

// MailboxResult is the comparison of one mailbox (or of the POP3
// maildrop, Name "POP3").
type MailboxResult struct {
	Name        string
	Old, New    *Mailbox // nil on the side that lacks it; nil for POP3
	Differences []Difference
	Notes       []string // accepted differences, said why (a larger UIDNEXT)
	Summary     string   // what the mailbox holds, for the report
}

// Result is the whole comparison.
type Result struct {
	Mailboxes []MailboxResult // sorted by name, POP3 last
}

// Differences counts all differences.
func (r *Result) Differences() int {
	n := 0
	for _, m := range r.Mailboxes {
		n += len(m.Differences)
	}
	return n
}

// Compare compares the new server's snapshot with the old one's. POP3 is
// compared when both have a listing.
func Compare(old, new *Snapshot) *Result {
	r := &Result{}
	names := map[string]bool{}
	for n := range old.Mailboxes {
		names[n] = true
	}
	for n := range new.Mailboxes {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		r.Mailboxes = append(r.Mailboxes, compareMailbox(n, old.Mailboxes[n], new.Mailboxes[n]))
	}
	if old.POP3 != nil || new.POP3 != nil {
		r.Mailboxes = append(r.Mailboxes, comparePOP3(old.POP3, new.POP3))
	}
	return r
}

func compareMailbox(name string, o, n *Mailbox) MailboxResult {
	res := MailboxResult{Name: name, Old: o, New: n}
	if mb := cmp.Or(o, n); mb != nil {
		res.Summary = fmt.Sprintf("%d messages, UIDVALIDITY %d, UIDNEXT %d", len(mb.Messages), mb.UIDValidity, mb.UIDNext)
	}
	if o != nil && n != nil && (len(o.Messages) != len(n.Messages) || o.UIDValidity != n.UIDValidity || o.UIDNext != n.UIDNext) {
		res.Summary = fmt.Sprintf("old: %d messages, UIDVALIDITY %d, UIDNEXT %d; new: %d messages, UIDVALIDITY %d, UIDNEXT %d",
			len(o.Messages), o.UIDValidity, o.UIDNext, len(n.Messages), n.UIDValidity, n.UIDNext)
	}
	add := func(k Kind, uid uint32, format string, args ...any) {
		res.Differences = append(res.Differences, Difference{Kind: k, UID: uid, Text: fmt.Sprintf(format, args...)})
	}
	switch {
	case n == nil:
		add(MissingMailbox, 0, "on the old server (%d messages), not on the new", len(o.Messages))
		return res
	case o == nil && len(n.Messages) == 0:
		// Clients show a new, empty folder and download nothing; the new
		// server may create some for every account (Ferrymail's Drafts,
		// Sent, Junk and Trash).
		res.Notes = append(res.Notes, "an empty mailbox on the new server only: clients show a new folder and download nothing")
		return res
	case o == nil:
		add(ExtraMailbox, 0, "on the new server (%d messages), not on the old", len(n.Messages))
		return res
	}
	if o.UIDValidity != n.UIDValidity {
		// Every UID the client cached is void: it downloads the mailbox
		// again. Per-UID comparison would only repeat that.
		add(UIDValidity, 0, "UIDVALIDITY old %d, new %d: clients will download the mailbox again", o.UIDValidity, n.UIDValidity)
		return res
	}
	if n.UIDNext < o.UIDNext {
		add(UIDNextSmaller, 0, "UIDNEXT old %d, new %d: UIDs clients saw may be given to other messages", o.UIDNext, n.UIDNext)
	}
	for _, uid := range unionUIDs(o.Messages, n.Messages) {
		om, inOld := o.Messages[uid]
		nm, inNew := n.Messages[uid]
		switch {
		case !inNew:
			add(MissingUID, uid, "UID %d (%d bytes) only on the old server", uid, om.Size)
		case !inOld:
			add(ExtraUID, uid, "UID %d (%d bytes) only on the new server", uid, nm.Size)
		default:
			if om.Size != nm.Size {
				add(Size, uid, "UID %d: size old %d, new %d", uid, om.Size, nm.Size)
			}
			if of, nf := normalFlags(om.Flags), normalFlags(nm.Flags); !slices.Equal(of, nf) {
				add(Flags, uid, "UID %d: flags old (%s), new (%s)", uid, strings.Join(om.Flags, " "), strings.Join(nm.Flags, " "))
			}
		}
	}
	if n.UIDNext > o.UIDNext && len(res.Differences) == 0 {
		// With the same UIDs on both sides, a larger UIDNEXT only makes a
		// client look for new mail and find none; with other UIDs, those
		// are the differences to show.
		res.Notes = append(res.Notes, fmt.Sprintf("UIDNEXT old %d, new %d: larger, with the same UIDs, is harmless (UIDNEXT may grow without messages)", o.UIDNext, n.UIDNext))
	}
	return res
}

func unionUIDs(a, b map[uint32]Message) []uint32 {
	out := make([]uint32, 0, len(a))
	for u := range a {
		out = append(out, u)
	}
	for u := range b {
		if _, ok := a[u]; !ok {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// comparePOP3 compares two maildrop listings: the UIDL sets, the size of
// each UIDL, and the order of the UIDLs both have (RFC 1939 §7: clients
// key on the UIDL; some, like fetchmail without UIDL, on the order).
func comparePOP3(o, n []POP3Entry) MailboxResult {
	res := MailboxResult{Name: "POP3", Summary: fmt.Sprintf("old %d UIDLs, new %d", len(o), len(n))}
	add := func(k Kind, format string, args ...any) {
		res.Differences = append(res.Differences, Difference{Kind: k, Text: fmt.Sprintf(format, args...)})
	}
	switch {
	case o == nil:
		add(MissingUIDL, "the old server's POP3 listing was not read")
		return res
	case n == nil:
		add(ExtraUIDL, "the new server's POP3 listing was not read")
		return res
	}
	oldSize, newSize := sizesByUIDL(o), sizesByUIDL(n)
	for i, e := range o {
		ns, ok := newSize[e.UIDL]
		switch {
		case !ok:
			add(MissingUIDL, "UIDL %q (message %d, %d bytes) only on the old server", e.UIDL, i+1, e.Size)
		case ns != e.Size:
			add(UIDLSize, "UIDL %q: size old %d, new %d", e.UIDL, e.Size, ns)
		}
	}
	for i, e := range n {
		if _, ok := oldSize[e.UIDL]; !ok {
			add(ExtraUIDL, "UIDL %q (message %d, %d bytes) only on the new server", e.UIDL, i+1, e.Size)
		}
	}
	// Order: the common UIDLs in each side's order.
	var oc, nc []string
	for _, e := range o {
		if _, ok := newSize[e.UIDL]; ok {
			oc = append(oc, e.UIDL)
		}
	}
	for _, e := range n {
		if _, ok := oldSize[e.UIDL]; ok {
			nc = append(nc, e.UIDL)
		}
	}
	for i := range min(len(oc), len(nc)) {
		if oc[i] != nc[i] {
			add(UIDLOrder, "UIDLs in another order from common position %d: old %q, new %q", i+1, oc[i], nc[i])
			break
		}
	}
	return res
}

func sizesByUIDL(l []POP3Entry) map[string]int64 {
	m := make(map[string]int64, len(l))
	for _, e := range l {
		m[e.UIDL] = e.Size
	}
	return m
}
