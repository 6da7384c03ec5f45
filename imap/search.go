package imap

import (
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/store"
)

// Search implements SEARCH and UID SEARCH (RFC 9051 §6.4.4) with ESEARCH
// (RFC 4731) and SEARCHRES (RFC 5182). Sequence, UID, flag, INTERNALDATE,
// size and MODSEQ criteria are answered from the session's view and the
// store's in-memory index (dates, sizes: indexLookup) without a message
// read; the message is opened only when a header, body or sent-date
// criterion is reached, and only for messages the cheap criteria left in.
// \Recent is not kept (RFC 9051 removed it): RECENT and NEW match nothing,
// OLD everything.
func (s *session) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, options *imap.SearchOptions) (_ *imap.SearchData, err error) {
	defer s.logCmd("SEARCH", time.Now(), &err)
	v := s.sel.Load()
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sync() // answer from the current state; reported changes wait for Poll
	m := &matcher{s: s, v: v, ix: &indexLookup{s: s, v: v}}
	var hits []int
	for i := 0; i < v.announced; i++ {
		if v.msgs[i].gone() {
			continue
		}
		m.reset(i)
		ok, err := m.match(criteria)
		if err != nil {
			m.reset(-1)
			return nil, err
		}
		if ok {
			hits = append(hits, i)
		}
	}
	m.reset(-1)
	data := searchData(v, kind, hits)
	if options.ReturnSave {
		v.searchRes = savedResult(v, hits, options)
	}
	return data, nil
}

func searchData(v *selected, kind imapserver.NumKind, hits []int) *imap.SearchData {
	data := &imap.SearchData{Count: uint32(len(hits))}
	num := func(i int) uint32 {
		if kind == imapserver.NumKindUID {
			return uint32(v.msgs[i].uid)
		}
		return uint32(i + 1)
	}
	if len(hits) > 0 {
		data.Min, data.Max = num(hits[0]), num(hits[len(hits)-1])
	}
	if kind == imapserver.NumKindUID {
		uids := make([]store.UID, len(hits))
		for k, i := range hits {
			uids[k] = v.msgs[i].uid
		}
		data.All = uidSetOf(uids)
		if data.All.(imap.UIDSet) == nil {
			data.All = imap.UIDSet{}
		}
	} else {
		seqs := make([]uint32, len(hits))
		for k, i := range hits {
			seqs[k] = uint32(i + 1)
		}
		data.All = seqSetOf(seqs)
		if data.All.(imap.SeqSet) == nil {
			data.All = imap.SeqSet{}
		}
	}
	return data
}

// savedResult is what SAVE keeps as "$" (RFC 5182 §2.4): with MIN or MAX
// (and neither ALL nor COUNT) only those, otherwise every match.
func savedResult(v *selected, hits []int, o *imap.SearchOptions) []store.UID {
	if len(hits) == 0 {
		return []store.UID{}
	}
	var out []store.UID
	if (o.ReturnMin || o.ReturnMax) && !o.ReturnCount && !explicitAll(o) {
		if o.ReturnMin {
			out = append(out, v.msgs[hits[0]].uid)
		}
		if o.ReturnMax && (!o.ReturnMin || len(hits) > 1) {
			out = append(out, v.msgs[hits[len(hits)-1]].uid)
		}
		return out
	}
	for _, i := range hits {
		out = append(out, v.msgs[i].uid)
	}
	return out
}

// explicitAll: imapserver sets ReturnAll when no return option was given,
// so ALL with MIN or MAX was asked for only if MIN/MAX are absent.
func explicitAll(o *imap.SearchOptions) bool { return o.ReturnAll && !o.ReturnMin && !o.ReturnMax }

// match evaluates criteria on the current message: cheap criteria first.
func (m *matcher) match(c *imap.SearchCriteria) (bool, error) {
	if !m.matchCheap(c) {
		return false, m.err
	}
	for _, n := range c.Not {
		ok, err := m.match(&n)
		if err != nil || ok {
			return false, err
		}
	}
	for _, or := range c.Or {
		ok, err := m.match(&or[0])
		if err == nil && !ok {
			ok, err = m.match(&or[1])
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return m.matchContent(c)
}

// matchCheap evaluates the criteria the view answers.
func (m *matcher) matchCheap(c *imap.SearchCriteria) bool {
	v, msg := m.v, &m.v.msgs[m.i]
	for _, set := range c.SeqNum {
		if len(v.resolveOne(set, m.i)) == 0 {
			return false
		}
	}
	for _, set := range c.UID {
		if len(v.resolveOne(set, m.i)) == 0 {
			return false
		}
	}
	for _, f := range c.Flag {
		if strings.EqualFold(string(f), `\Recent`) || !containsFold(v.flags(msg), string(f)) {
			return false
		}
	}
	for _, f := range c.NotFlag {
		if !strings.EqualFold(string(f), `\Recent`) && containsFold(v.flags(msg), string(f)) {
			return false
		}
	}
	if !c.Since.IsZero() || !c.Before.IsZero() || c.Larger > 0 || c.Smaller > 0 {
		// INTERNALDATE and size are not kept in the view (msgView).
		date, size, ok, err := m.ix.dateSize(msg.uid)
		if err != nil || !ok {
			m.err = err // !ok: expunged meanwhile, matches nothing
			return false
		}
		if !dateIn(date, c.Since, c.Before) {
			return false
		}
		if (c.Larger > 0 && size <= c.Larger) || (c.Smaller > 0 && size >= c.Smaller) {
			return false
		}
	}
	if c.ModSeq != nil && msg.modseq < c.ModSeq.ModSeq { // RFC 7162 §3.1.5
		return false
	}
	return true
}

// resolveOne reports whether a set names view index i ([]int{i} or nil).
func (v *selected) resolveOne(set imap.NumSet, i int) []int {
	switch s := set.(type) {
	case imap.SeqSet:
		seq := uint32(i + 1)
		for _, r := range s {
			lo, hi := seqBound(r.Start, v.announced), seqBound(r.Stop, v.announced)
			if lo > hi {
				lo, hi = hi, lo
			}
			if lo <= seq && seq <= hi {
				return []int{i}
			}
		}
	case imap.UIDSet:
		uid := v.msgs[i].uid
		if imap.IsSearchRes(s) {
			for _, u := range v.searchRes {
				if u == uid {
					return []int{i}
				}
			}
			return nil
		}
		var last store.UID
		if v.announced > 0 {
			last = v.msgs[v.announced-1].uid
		}
		for _, r := range s {
			lo, hi := uidBound(r.Start, last), uidBound(r.Stop, last)
			if lo > hi {
				lo, hi = hi, lo
			}
			if lo <= uid && uid <= hi {
				return []int{i}
			}
		}
	}
	return nil
}

// dateIn compares dates "disregarding time and timezone" (RFC 9051
// §6.4.4): the calendar date of t in its own zone against since/before.
func dateIn(t, since, before time.Time) bool {
	if since.IsZero() && before.IsZero() {
		return true
	}
	y, mo, d := t.Date()
	day := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	if !since.IsZero() && day.Before(dayOf(since)) {
		return false
	}
	if !before.IsZero() && !day.Before(dayOf(before)) {
		return false
	}
	return true
}

func dayOf(t time.Time) time.Time {
	y, mo, d := t.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}

// matchContent evaluates the criteria that need the message.
func (m *matcher) matchContent(c *imap.SearchCriteria) (bool, error) {
	if !c.SentSince.IsZero() || !c.SentBefore.IsZero() {
		st, err := m.structure()
		if err != nil || st == nil {
			return false, err
		}
		t, perr := mail.ParseDate(st.Envelope.Date)
		if perr != nil || !dateIn(t, c.SentSince, c.SentBefore) {
			return false, nil
		}
	}
	for _, h := range c.Header {
		ok, err := m.headerHas(h.Key, h.Value)
		if err != nil || !ok {
			return false, err
		}
	}
	for _, s := range c.Body {
		ok, err := m.bodyHas(s)
		if err != nil || !ok {
			return false, err
		}
	}
	for _, s := range c.Text {
		ok, err := m.headerHas("", s)
		if err == nil && !ok {
			ok, err = m.bodyHas(s)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}
