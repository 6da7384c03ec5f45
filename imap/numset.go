package imap

import (
	"sort"

	"github.com/emersion/go-imap/v2"

	"github.com/ferrymail/ferrymail/store"
)

// resolve turns a sequence set, UID set or "$" (RFC 5182) into the view
// indexes it names, ascending and without duplicates. Only messages the
// client has been told of count: "*" is the last of them (RFC 9051 §9,
// seq-number and uid "*"). Numbers outside the mailbox name nothing.
// Caller holds v.mu.
func (v *selected) resolve(set imap.NumSet) []int {
	n := v.announced
	var spans [][2]int // index intervals, inclusive
	switch set := set.(type) {
	case imap.SeqSet:
		for _, r := range set {
			lo, hi := seqBound(r.Start, n), seqBound(r.Stop, n)
			if lo > hi {
				lo, hi = hi, lo
			}
			if lo = max(lo, 1); lo <= hi && lo <= uint32(n) {
				spans = append(spans, [2]int{int(lo - 1), int(min(hi, uint32(n))) - 1})
			}
		}
	case imap.UIDSet:
		if imap.IsSearchRes(set) {
			for _, uid := range v.searchRes {
				if i := v.find(uid); i >= 0 && i < n {
					spans = append(spans, [2]int{i, i})
				}
			}
			break
		}
		var last store.UID
		if n > 0 {
			last = v.msgs[n-1].uid
		}
		for _, r := range set {
			lo, hi := uidBound(r.Start, last), uidBound(r.Stop, last)
			if lo > hi {
				lo, hi = hi, lo
			}
			i := sort.Search(n, func(i int) bool { return v.msgs[i].uid >= lo })
			j := sort.Search(n, func(i int) bool { return v.msgs[i].uid > hi })
			if i < j {
				spans = append(spans, [2]int{i, j - 1})
			}
		}
	}
	// Merge the intervals first: a set like "1:*,1:*,…" must not cost
	// its length times the mailbox size.
	sort.Slice(spans, func(a, b int) bool { return spans[a][0] < spans[b][0] })
	var out []int
	next := 0
	for _, sp := range spans {
		for i := max(sp[0], next); i <= sp[1]; i++ {
			out = append(out, i)
		}
		next = max(next, sp[1]+1)
	}
	return out
}

func seqBound(x uint32, n int) uint32 {
	if x == 0 { // "*"
		return uint32(n)
	}
	return x
}

func uidBound(x imap.UID, last store.UID) store.UID {
	if x == 0 { // "*"
		return last
	}
	return store.UID(x)
}

// uidSetOf builds a compact UID set from ascending UIDs.
func uidSetOf(uids []store.UID) imap.UIDSet {
	var set imap.UIDSet
	for _, u := range uids {
		if k := len(set); k > 0 && set[k-1].Stop+1 == imap.UID(u) {
			set[k-1].Stop = imap.UID(u)
			continue
		}
		set = append(set, imap.UIDRange{Start: imap.UID(u), Stop: imap.UID(u)})
	}
	return set
}

// seqSetOf builds a compact sequence set from ascending numbers.
func seqSetOf(nums []uint32) imap.SeqSet {
	var set imap.SeqSet
	for _, x := range nums {
		if k := len(set); k > 0 && set[k-1].Stop+1 == x {
			set[k-1].Stop = x
			continue
		}
		set = append(set, imap.SeqRange{Start: x, Stop: x})
	}
	return set
}
