// Package uidlmatch pairs the messages of a legacy server's POP3 view with
// the same messages imported into Ferrymail from its IMAP view, so that the
// imported messages can be given the UIDLs POP3 clients cached (DESIGN.md
// "Identifiers on import"; LEGACY-FORMATS.md §b.5, after Dovecot's
// pop3-migration plugin).
//
// It is pure: the caller lists both sides (POP3: UIDL and LIST size; the
// store: UID, size and current UIDL), calls Match, fetches the header hashes
// that Match asks for (TOP n 0 on the POP3 side, the stored header on the
// other; see HeaderHash), and calls Match again. Nothing is guessed: a
// message pairs only when one candidate is left on each side; messages
// that stay ambiguous (identical headers and size) or have no counterpart
// are reported.
package uidlmatch

import (
	"cmp"
	"slices"
)

// POP3Msg is one message of the POP3 listing.
type POP3Msg struct {
	UIDL string
	Size int64 // the LIST size
	Hash *Hash // nil: not fetched (yet)
}

// StoredMsg is one message of the target INBOX.
type StoredMsg struct {
	UID  uint32
	UIDL string // its UIDL now: a message that already has the POP3 UIDL is paired at once
	Size int64
	Hash *Hash
}

// How says on what a pair was made.
type How uint8

const (
	ByUIDL       How = iota + 1 // the stored message already carries the UIDL (an earlier run)
	BySize                      // the only message of that size on both sides
	BySizeHeader                // same size and the only one with that header hash
	ByHeader                    // the only one with that header hash; the sizes differ
)

func (h How) String() string {
	return [...]string{"", "UIDL", "size", "size and header", "header (sizes differ)"}[h]
}

// Pair joins POP3 message P (an index into the POP3 slice) to stored
// message S.
type Pair struct {
	P, S int
	How  How
}

// Result is what Match found.
type Result struct {
	Pairs []Pair // in POP3 order
	// NeedHash lists the messages whose header hash would let Match decide
	// more: fill in their Hash and call Match again. Empty when nothing
	// more can be learnt.
	NeedPOP3, NeedStored []int
	// Ambiguous are POP3 messages with more than one candidate of equal
	// size and header hash: a UIDL given to one of them would be a guess.
	Ambiguous []int
	// Unmatched are POP3 messages with no stored counterpart.
	Unmatched []int
	// Extra are stored messages that no POP3 message was paired with
	// (delivered to Ferrymail since, or missing from the POP3 view).
	Extra []int
}

// Match pairs pop with stored. It is deterministic and idempotent: after
// the UIDLs of the pairs are set, Match pairs the same messages ByUIDL.
func Match(pop []POP3Msg, stored []StoredMsg) Result {
	var res Result
	pPaired := make([]bool, len(pop))
	sPaired := make([]bool, len(stored))
	pair := func(p, s int, how How) {
		res.Pairs = append(res.Pairs, Pair{P: p, S: s, How: how})
		pPaired[p], sPaired[s] = true, true
	}

	// An earlier run (or a POP3 import) already gave the UIDL.
	byUIDL := map[string]int{}
	for s, m := range stored {
		byUIDL[m.UIDL] = s
	}
	for p, m := range pop {
		if s, ok := byUIDL[m.UIDL]; ok && !sPaired[s] {
			pair(p, s, ByUIDL)
		}
	}

	// By size, then by size and header.
	pBySize, sBySize := map[int64][]int{}, map[int64][]int{}
	for p, m := range pop {
		if !pPaired[p] {
			pBySize[m.Size] = append(pBySize[m.Size], p)
		}
	}
	for s, m := range stored {
		if !sPaired[s] {
			sBySize[m.Size] = append(sBySize[m.Size], s)
		}
	}
	ambiguous := make([]bool, len(pop))
	for _, size := range sortedKeys(pBySize) {
		ps, ss := pBySize[size], sBySize[size]
		switch {
		case len(ss) == 0:
			continue // left for the header-only round
		case len(ps) == 1 && len(ss) == 1:
			pair(ps[0], ss[0], BySize)
			continue
		}
		if !allHashed(pop, ps, stored, ss, &res) {
			continue
		}
		matchHashes(pop, ps, stored, ss, BySizeHeader, pair, ambiguous)
	}

	// What is left: a POP3 message whose size no stored message has (a
	// server whose LIST sizes are off), by header hash alone.
	var ps, ss []int
	for p := range pop {
		if !pPaired[p] && !ambiguous[p] {
			ps = append(ps, p)
		}
	}
	for s := range stored {
		if !sPaired[s] {
			ss = append(ss, s)
		}
	}
	if len(ps) > 0 && len(ss) > 0 && len(res.NeedPOP3) == 0 && len(res.NeedStored) == 0 {
		if allHashed(pop, ps, stored, ss, &res) {
			matchHashes(pop, ps, stored, ss, ByHeader, pair, ambiguous)
		}
	}

	slices.SortFunc(res.Pairs, func(a, b Pair) int { return cmp.Compare(a.P, b.P) })
	for p := range pop {
		switch {
		case pPaired[p]:
		case ambiguous[p]:
			res.Ambiguous = append(res.Ambiguous, p)
		default:
			res.Unmatched = append(res.Unmatched, p)
		}
	}
	for s := range stored {
		if !sPaired[s] {
			res.Extra = append(res.Extra, s)
		}
	}
	if len(res.NeedPOP3) > 0 || len(res.NeedStored) > 0 {
		// Not final: the caller fetches the hashes and asks again.
		res.NeedPOP3, res.NeedStored = dedupe(res.NeedPOP3), dedupe(res.NeedStored)
	}
	return res
}

// allHashed reports whether every message of ps and ss has its hash, and
// otherwise adds those without to res's Need lists.
func allHashed(pop []POP3Msg, ps []int, stored []StoredMsg, ss []int, res *Result) bool {
	ok := true
	for _, p := range ps {
		if pop[p].Hash == nil {
			res.NeedPOP3 = append(res.NeedPOP3, p)
			ok = false
		}
	}
	for _, s := range ss {
		if stored[s].Hash == nil {
			res.NeedStored = append(res.NeedStored, s)
			ok = false
		}
	}
	return ok
}

// matchHashes pairs the messages of ps and ss whose hash is unique on both
// sides; POP3 messages whose hash several messages share (on either side)
// are marked ambiguous.
func matchHashes(pop []POP3Msg, ps []int, stored []StoredMsg, ss []int, how How, pair func(p, s int, how How), ambiguous []bool) {
	pByHash, sByHash := map[Hash][]int{}, map[Hash][]int{}
	for _, p := range ps {
		pByHash[*pop[p].Hash] = append(pByHash[*pop[p].Hash], p)
	}
	for _, s := range ss {
		sByHash[*stored[s].Hash] = append(sByHash[*stored[s].Hash], s)
	}
	for _, p := range ps {
		h := *pop[p].Hash
		switch cands := sByHash[h]; {
		case len(cands) == 0:
		case len(cands) == 1 && len(pByHash[h]) == 1:
			pair(p, cands[0], how)
		default:
			ambiguous[p] = true
		}
	}
}

func sortedKeys(m map[int64][]int) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func dedupe(xs []int) []int {
	slices.Sort(xs)
	return slices.Compact(xs)
}
