package uidlmatch

import (
	"crypto/sha1"
	"fmt"
	"slices"
	"testing"
)

func h(s string) *Hash {
	x := Hash(sha1.Sum([]byte(s)))
	return &x
}

// matchAll runs Match the way a caller does: fill in the hashes asked for
// (from hp and hs, the "fetched" headers) and match again, at most a few
// rounds.
func matchAll(t *testing.T, pop []POP3Msg, stored []StoredMsg, hp []string, hs []string) (Result, int) {
	t.Helper()
	fetched := 0
	for round := 0; round < 4; round++ {
		res := Match(pop, stored)
		if len(res.NeedPOP3) == 0 && len(res.NeedStored) == 0 {
			return res, fetched
		}
		for _, p := range res.NeedPOP3 {
			if pop[p].Hash != nil {
				t.Fatalf("round %d asks again for POP3 %d's hash", round, p)
			}
			pop[p].Hash = h(hp[p])
			fetched++
		}
		for _, s := range res.NeedStored {
			if stored[s].Hash != nil {
				t.Fatalf("round %d asks again for stored %d's hash", round, s)
			}
			stored[s].Hash = h(hs[s])
			fetched++
		}
	}
	t.Fatal("Match still asks for hashes after 4 rounds")
	return Result{}, 0
}

func pairsString(r Result) string {
	var s string
	for _, p := range r.Pairs {
		s += fmt.Sprintf("%d=%d/%s ", p.P, p.S, p.How)
	}
	return s
}

func TestMatchBySize(t *testing.T) {
	pop := []POP3Msg{{UIDL: "a", Size: 100}, {UIDL: "b", Size: 200}, {UIDL: "c", Size: 300}}
	stored := []StoredMsg{{UID: 1, UIDL: "t1", Size: 300}, {UID: 2, UIDL: "t2", Size: 100}, {UID: 3, UIDL: "t3", Size: 200}}
	res, fetched := matchAll(t, pop, stored, nil, nil)
	if got, want := pairsString(res), "0=1/size 1=2/size 2=0/size "; got != want {
		t.Errorf("pairs %s, want %s", got, want)
	}
	if fetched != 0 {
		t.Errorf("%d hashes fetched where sizes settle everything", fetched)
	}
	if len(res.Unmatched)+len(res.Ambiguous)+len(res.Extra) != 0 {
		t.Errorf("left over: %+v", res)
	}
}

func TestMatchBySizeAndHeader(t *testing.T) {
	pop := []POP3Msg{{UIDL: "a", Size: 100}, {UIDL: "b", Size: 100}, {UIDL: "c", Size: 300}}
	stored := []StoredMsg{{UID: 1, Size: 100}, {UID: 2, Size: 100}, {UID: 3, Size: 300}}
	hp := []string{"A", "B", "C"}
	hs := []string{"B", "A", "C"}
	res, fetched := matchAll(t, pop, stored, hp, hs)
	if got, want := pairsString(res), "0=1/size and header 1=0/size and header 2=2/size "; got != want {
		t.Errorf("pairs %s, want %s", got, want)
	}
	if fetched != 4 {
		t.Errorf("fetched %d hashes, want 4 (only the equal-size group)", fetched)
	}
}

// Identical size and header on both sides: which is which is a guess, so
// neither is paired; both are reported.
func TestMatchAmbiguous(t *testing.T) {
	pop := []POP3Msg{{UIDL: "a", Size: 100}, {UIDL: "b", Size: 100}, {UIDL: "c", Size: 50}}
	stored := []StoredMsg{{UID: 1, Size: 100}, {UID: 2, Size: 100}, {UID: 3, Size: 50}}
	res, _ := matchAll(t, pop, stored, []string{"X", "X", "Y"}, []string{"X", "X", "Y"})
	if got, want := pairsString(res), "2=2/size "; got != want {
		t.Errorf("pairs %s, want %s", got, want)
	}
	if !slices.Equal(res.Ambiguous, []int{0, 1}) || !slices.Equal(res.Extra, []int{0, 1}) || len(res.Unmatched) != 0 {
		t.Errorf("ambiguous %v extra %v unmatched %v; want [0 1] [0 1] []", res.Ambiguous, res.Extra, res.Unmatched)
	}
}

func TestMatchUnmatchedAndExtra(t *testing.T) {
	pop := []POP3Msg{{UIDL: "a", Size: 100}, {UIDL: "gone", Size: 777}}
	stored := []StoredMsg{{UID: 1, Size: 100}, {UID: 2, Size: 555}}
	res, _ := matchAll(t, pop, stored, []string{"A", "Q"}, []string{"A", "R"})
	if got, want := pairsString(res), "0=0/size "; got != want {
		t.Errorf("pairs %s, want %s", got, want)
	}
	if !slices.Equal(res.Unmatched, []int{1}) || !slices.Equal(res.Extra, []int{1}) {
		t.Errorf("unmatched %v extra %v; want [1] [1]", res.Unmatched, res.Extra)
	}
}

// A server whose LIST sizes are off: the header alone pairs, and says so.
func TestMatchHeaderOnly(t *testing.T) {
	pop := []POP3Msg{{UIDL: "a", Size: 101}, {UIDL: "b", Size: 202}}
	stored := []StoredMsg{{UID: 1, Size: 100}, {UID: 2, Size: 200}}
	res, _ := matchAll(t, pop, stored, []string{"A", "B"}, []string{"A", "B"})
	if got, want := pairsString(res), "0=0/header (sizes differ) 1=1/header (sizes differ) "; got != want {
		t.Errorf("pairs %s, want %s", got, want)
	}
}

// After the UIDLs are set, a re-run pairs every message by its UIDL and
// fetches nothing: attaching is idempotent and cheap the second time.
func TestMatchIdempotent(t *testing.T) {
	pop := []POP3Msg{{UIDL: "a", Size: 100}, {UIDL: "b", Size: 100}, {UIDL: "new", Size: 9}}
	stored := []StoredMsg{{UID: 1, UIDL: "a", Size: 100}, {UID: 2, UIDL: "b", Size: 100}, {UID: 3, UIDL: "t3", Size: 9}}
	res, fetched := matchAll(t, pop, stored, nil, nil)
	if got, want := pairsString(res), "0=0/UIDL 1=1/UIDL 2=2/size "; got != want || fetched != 0 {
		t.Errorf("pairs %s (fetched %d), want %s (0)", got, fetched, want)
	}
}

func TestMatchEmpty(t *testing.T) {
	res := Match(nil, nil)
	if len(res.Pairs)+len(res.Unmatched)+len(res.Extra)+len(res.NeedPOP3)+len(res.NeedStored) != 0 {
		t.Errorf("Match(nil, nil) = %+v", res)
	}
	res = Match([]POP3Msg{{UIDL: "a", Size: 1}}, nil)
	if !slices.Equal(res.Unmatched, []int{0}) || len(res.NeedPOP3) != 0 {
		t.Errorf("Match(one, nil) = %+v; want unmatched [0], no hash asked", res)
	}
}

// Random listings: every message ends in exactly one of pairs, ambiguous,
// unmatched (POP3) or pairs, extra (stored); no pair repeats a message.
func TestMatchPartition(t *testing.T) {
	for seed := range 200 {
		n, m := seed%7, (seed/7)%7
		pop := make([]POP3Msg, n)
		stored := make([]StoredMsg, m)
		hp, hs := make([]string, n), make([]string, m)
		for i := range pop {
			pop[i] = POP3Msg{UIDL: fmt.Sprint("u", i), Size: int64((seed*31 + i*7) % 3)}
			hp[i] = fmt.Sprint((seed + i) % 4)
		}
		for i := range stored {
			stored[i] = StoredMsg{UID: uint32(i + 1), UIDL: fmt.Sprint("t", i), Size: int64((seed*17 + i*5) % 3)}
			hs[i] = fmt.Sprint((seed*3 + i) % 4)
		}
		res, _ := matchAll(t, pop, stored, hp, hs)
		pSeen, sSeen := map[int]int{}, map[int]int{}
		for _, p := range res.Pairs {
			pSeen[p.P]++
			sSeen[p.S]++
		}
		for _, p := range append(append([]int{}, res.Ambiguous...), res.Unmatched...) {
			pSeen[p]++
		}
		for _, s := range res.Extra {
			sSeen[s]++
		}
		for i := range n {
			if pSeen[i] != 1 {
				t.Fatalf("seed %d: POP3 %d accounted %d times: %+v", seed, i, pSeen[i], res)
			}
		}
		for i := range m {
			if sSeen[i] != 1 {
				t.Fatalf("seed %d: stored %d accounted %d times: %+v", seed, i, sSeen[i], res)
			}
		}
	}
}
