package imap

import (
	"errors"
	"io"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/store"
	"github.com/ferrymail/ferrymail/store/structure"
)

// Fetch implements FETCH and UID FETCH (RFC 9051 §6.4.5) with BINARY
// (RFC 3516). FLAGS and UID come from the view, INTERNALDATE and
// RFC822.SIZE from the store's in-memory index (indexLookup);
// ENVELOPE, BODYSTRUCTURE and section offsets from the structure stored at
// ingest; section bytes are streamed from the stored message, never
// rebuilt, so BODY[] is exactly RFC822.SIZE bytes.
func (s *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) (err error) {
	defer s.logCmd("FETCH", time.Now(), &err)
	v := s.sel.Load()
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sync() // answer from the current state; reported changes wait for Poll
	idx := v.resolve(numSet)
	seen := map[store.UID]bool{}
	if setsSeen(options) && !v.readOnly {
		if seen, err = s.markSeen(v, idx); err != nil {
			return err
		}
	}
	ix := &indexLookup{s: s, v: v}
	for _, i := range idx {
		m := v.msgs[i]
		if m.gone() {
			continue // RFC 9051 §7.5.1: expunged, EXPUNGE not yet sent
		}
		if err := s.fetchOne(w, v, ix, uint32(i+1), &m, options, seen[m.uid]); err != nil {
			return err
		}
	}
	return nil
}

// setsSeen: a BODY[…] or BINARY[…] fetch without .PEEK sets \Seen
// (RFC 9051 §6.4.5).
func setsSeen(o *imap.FetchOptions) bool {
	for _, b := range o.BodySection {
		if !b.Peek {
			return true
		}
	}
	for _, b := range o.BinarySection {
		if !b.Peek {
			return true
		}
	}
	return false
}

// markSeen sets \Seen on the messages that lack it, updates the view and
// returns the UIDs whose flags changed: their FETCH carries FLAGS.
func (s *session) markSeen(v *selected, idx []int) (map[store.UID]bool, error) {
	var uids []store.UID
	for _, i := range idx {
		if m := &v.msgs[i]; !m.gone() && !containsFold(v.flags(m), store.FlagSeen) {
			uids = append(uids, m.uid)
		}
	}
	changed := map[store.UID]bool{}
	if len(uids) == 0 {
		return changed, nil
	}
	res, err := s.srv.store.StoreFlags(s.ctx, s.acct.ID, v.mbox.ID, uids, store.FlagsAdd, []string{store.FlagSeen}, store.StoreFlagsOptions{})
	if err != nil {
		return nil, s.storeErr(err)
	}
	v.applyOwn(res)
	for _, u := range res.Updated {
		changed[u.UID] = true
	}
	return changed, nil
}

// applyOwn puts the result of this session's own flag change into the
// view, so that its change events are not echoed back.
func (v *selected) applyOwn(res store.FlagsResult) {
	for _, c := range res.Current {
		if i := v.find(c.UID); i >= 0 && c.ModSeq >= v.msgs[i].modseq {
			v.setFlags(&v.msgs[i], c.Flags, c.ModSeq)
		}
	}
	for _, u := range res.Updated {
		v.own[u.ModSeq] = struct{}{}
		v.learnKeywords(u.Flags)
	}
}

// fetchOne writes one message's FETCH response. The stored bytes and
// structure are opened before anything is written, so a message expunged
// meanwhile is skipped rather than half-answered.
func (s *session) fetchOne(w *imapserver.FetchWriter, v *selected, ix *indexLookup, seq uint32, m *msgView, o *imap.FetchOptions, flagsChanged bool) error {
	var r *store.MessageReader
	var st *structure.Message
	var err error
	if needsBytes(o) || needsStructure(o) {
		s.srv.contentReads.Add(1)
	}
	if needsBytes(o) {
		if r, err = s.srv.store.OpenMessage(s.ctx, s.acct.ID, v.mbox.ID, m.uid); err != nil {
			return s.skipGone(err)
		}
		defer r.Close()
	}
	if needsStructure(o) {
		if st, err = s.srv.store.Structure(s.ctx, s.acct.ID, v.mbox.ID, m.uid); err != nil {
			return s.skipGone(err)
		}
	}
	var date time.Time
	var size int64
	if o.InternalDate || o.RFC822Size || r != nil {
		var ok bool
		if date, size, ok, err = ix.dateSize(m.uid); err != nil || !ok {
			return err // !ok: expunged meanwhile, left out as above
		}
	}
	// Everything that can fail on the message's content is worked out
	// before the response starts: an error after CreateMessage would leave
	// a half-written FETCH.
	p, err := planSections(r, size, st, o)
	if err != nil {
		return err
	}

	rw := w.CreateMessage(seq)
	rw.WriteUID(imap.UID(m.uid)) // always first: clients match literals by UID (GO-IMAP-NOTES §5 gotcha 3)
	if o.Flags || flagsChanged {
		rw.WriteFlags(imapFlags(v.flags(m)))
		v.clearDirty(int(seq - 1)) // the client has the current flags now
	}
	if o.InternalDate {
		rw.WriteInternalDate(date)
	}
	if o.RFC822Size {
		rw.WriteRFC822Size(size)
	}
	if o.Envelope {
		rw.WriteEnvelope(envelope(&st.Envelope))
	}
	if o.BodyStructure != nil {
		rw.WriteBodyStructure(bodyStructure(&st.Body))
	}
	if err := writeSections(rw, r, p, o); err != nil {
		rw.Close()
		return err
	}
	return rw.Close()
}

// writeSections writes the planned BODY[…], BINARY[…] and BINARY.SIZE items.
func writeSections(rw *imapserver.FetchResponseWriter, r io.ReaderAt, p sectionPlan, o *imap.FetchOptions) error {
	for k, sec := range o.BodySection {
		off, n := partial(sec.Partial, p.bodies[k].size())
		if err := writeLiteral(rw.WriteBodySection(sec, n), func(lw io.Writer) error {
			return writeSpan(lw, r, p.bodies[k], off, n)
		}); err != nil {
			return err
		}
	}
	for k, sec := range o.BinarySection {
		off, n := partial(sec.Partial, p.binaries[k].size)
		if err := writeLiteral(rw.WriteBinarySection(sec, n), func(lw io.Writer) error {
			src := p.binaries[k].open()
			if _, err := io.CopyN(io.Discard, src, off); err != nil {
				return err
			}
			_, err := io.CopyN(lw, src, n)
			return err
		}); err != nil {
			return err
		}
	}
	for k, sec := range o.BinarySectionSize {
		rw.WriteBinarySectionSize(sec, uint32(min(p.binSizes[k], 1<<32-1)))
	}
	return nil
}

type binarySection struct {
	open func() io.Reader
	size int64
}

// sectionPlan holds each requested section's bytes and sizes.
type sectionPlan struct {
	bodies   []span
	binaries []binarySection
	binSizes []int64
}

func planSections(r io.ReaderAt, size int64, st *structure.Message, o *imap.FetchOptions) (p sectionPlan, err error) {
	p.bodies = make([]span, len(o.BodySection))
	for k, sec := range o.BodySection {
		if p.bodies[k], err = bodySpan(r, size, st, sec); err != nil {
			return p, err
		}
	}
	p.binaries = make([]binarySection, len(o.BinarySection))
	for k, sec := range o.BinarySection {
		b := &p.binaries[k]
		if b.open, err = binarySource(r, size, st, sec.Part); err != nil {
			return p, err
		}
		if b.size, err = decodedSize(b.open); err != nil {
			return p, err
		}
	}
	p.binSizes = make([]int64, len(o.BinarySectionSize))
	for k, sec := range o.BinarySectionSize {
		open, err := binarySource(r, size, st, sec.Part)
		if err != nil {
			return p, err
		}
		if p.binSizes[k], err = decodedSize(open); err != nil {
			return p, err
		}
	}
	return p, nil
}

// writeLiteral fills a literal and closes it.
func writeLiteral(lw io.WriteCloser, fill func(io.Writer) error) error {
	err := fill(lw)
	if cerr := lw.Close(); err == nil {
		err = cerr
	}
	return err
}

func (v *selected) clearDirty(i int) {
	if v.msgs[i].dirty() {
		v.msgs[i].setDirty(false)
		v.nDirty--
	}
}

// skipGone: a message expunged after the view was synchronised is left
// out of the answer; anything else is an error.
func (s *session) skipGone(err error) error {
	if errors.Is(err, store.ErrMessageNotFound) {
		return nil
	}
	return s.storeErr(err)
}

func needsBytes(o *imap.FetchOptions) bool {
	return len(o.BodySection) > 0 || len(o.BinarySection) > 0 || len(o.BinarySectionSize) > 0
}

func needsStructure(o *imap.FetchOptions) bool {
	if o.Envelope || o.BodyStructure != nil {
		return true
	}
	for _, sec := range o.BodySection {
		if len(sec.Part) > 0 || sec.Specifier != imap.PartSpecifierNone {
			return true
		}
	}
	for _, sec := range o.BinarySection {
		if len(sec.Part) > 0 {
			return true
		}
	}
	for _, sec := range o.BinarySectionSize {
		if len(sec.Part) > 0 {
			return true
		}
	}
	return false
}
