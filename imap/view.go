package imap

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/store"
)

// msgView is what a session must own of one message: its place in the
// sequence-number map (RFC 9051 §2.3.1.2), and the flags and MODSEQ as the
// session last synchronised them, which may differ from the store's
// between sync points (RFC 9051 §7.5.1). 16 bytes, so that a session with
// a million messages selected costs ≈15 MiB rather than ≈76 (issue 8). What
// never changes for a UID, INTERNALDATE and RFC822.SIZE, is read from the
// store's shared index when a FETCH or SEARCH needs it (dateSize).
type msgView struct {
	uid    store.UID
	bits   uint32 // flag-set ID (into selected.flagSets) | goneBit | dirtyBit
	modseq uint64
}

const (
	goneBit     = 1 << 31 // expunged in the store, EXPUNGE not yet sent
	dirtyBit    = 1 << 30 // flags changed by someone else, FETCH not yet sent
	flagSetMask = dirtyBit - 1
)

func (m *msgView) gone() bool      { return m.bits&goneBit != 0 }
func (m *msgView) dirty() bool     { return m.bits&dirtyBit != 0 }
func (m *msgView) flagSet() uint32 { return m.bits & flagSetMask }

func (m *msgView) setGone() { m.bits |= goneBit }

func (m *msgView) setDirty(d bool) {
	if d {
		m.bits |= dirtyBit
	} else {
		m.bits &^= dirtyBit
	}
}

func (m *msgView) setFlagSet(id uint32) { m.bits = m.bits&^flagSetMask | id }

// selected is a session's view of its selected mailbox (RFC 9051 §2.3.1.2:
// the sequence-number map belongs to the session). It is fed by the store's
// change events in commit order and reports them to the client only where
// RFC 9051 §7.5.1 allows; see the package documentation.
type selected struct {
	mu       sync.Mutex
	mbox     store.Mailbox
	readOnly bool
	sub      *store.Subscription

	msgs      []msgView // ascending UID; index i is sequence number i+1
	announced int       // messages the client has been told of (EXISTS)
	nGone     int
	nDirty    int

	// flagSets interns the flag lists of msgs: a mailbox has few distinct
	// combinations. Lists no message uses any more are dropped when the
	// table outgrows the mailbox (compactFlagSets).
	flagSets   [][]string
	flagSetIDs map[string]uint32 // flag list joined by "\x00" -> ID

	keywords   []string // mailbox keywords, for FLAGS
	flagsDirty bool     // keywords grew: send FLAGS

	// own holds the MODSEQs of this session's own flag changes, whose
	// events must not be echoed as unsolicited FETCH.
	own map[uint64]struct{}

	searchRes []store.UID // RFC 5182 "$"
	deleted   bool        // the mailbox was deleted under us
	// renumbered: the mailbox got a new UIDVALIDITY under us
	// (store.UIDValidityChanged); the session must end (endIfRenumbered).
	renumbered bool

	// wake is signalled by drain when the view has something to report;
	// it is closed when the subscription ends.
	wake chan struct{}
}

// newView streams mailbox mbox's listing from the store's index into a new
// view (no intermediate copy of the listing) and starts its drain
// goroutine.
func newView(ctx context.Context, st *store.Store, a store.AccountID, mbox store.Mailbox, sub *store.Subscription, readOnly bool) (*selected, error) {
	v := &selected{mbox: mbox, sub: sub, readOnly: readOnly, own: make(map[uint64]struct{}),
		keywords: slices.Clone(mbox.Keywords), flagSetIDs: make(map[string]uint32)}
	// The index hands out its own interned flag lists, so one list is
	// recognised by its backing array without joining it; this map lives
	// only while the listing is read. (Its IDs stay valid: each message
	// adds at most one list, so the table never outgrows the listing here
	// and compactFlagSets does not run.)
	type array struct {
		first *string
		n     int
	}
	byArray := make(map[array]uint32)
	var last array // neighbours mostly share their flags: skip the map then
	var lastID uint32
	err := st.EachMessageSummary(ctx, a, mbox.ID,
		func(n int) { v.msgs = make([]msgView, 0, n) },
		func(m *store.MessageSummary) {
			var key array
			if len(m.Flags) > 0 {
				key = array{&m.Flags[0], len(m.Flags)}
			}
			id, ok := lastID, key == last && len(v.flagSets) > 0
			if !ok {
				if id, ok = byArray[key]; !ok {
					id = v.intern(m.Flags)
					byArray[key] = id
				}
				last, lastID = key, id
			}
			v.msgs = append(v.msgs, msgView{uid: m.UID, bits: id, modseq: m.ModSeq})
		})
	if err != nil {
		return nil, err
	}
	v.announced = len(v.msgs)
	v.wake = make(chan struct{}, 1)
	go v.drain()
	return v, nil
}

// intern returns the ID of flags' entry in v.flagSets, adding it if new.
// The list is kept as given (it is shared with the store or an event and
// never modified). Caller holds v.mu, or is newView.
func (v *selected) intern(flags []string) uint32 {
	key := strings.Join(flags, "\x00")
	if id, ok := v.flagSetIDs[key]; ok {
		return id
	}
	if len(v.flagSets) >= max(minFlagSetsCompacted, 2*len(v.msgs)) {
		v.compactFlagSets()
	}
	id := uint32(len(v.flagSets))
	v.flagSets = append(v.flagSets, flags)
	v.flagSetIDs[key] = id
	return id
}

// minFlagSetsCompacted: below this many flag lists the table is left
// alone, however small the mailbox.
const minFlagSetsCompacted = 1024

// compactFlagSets drops the flag lists no message uses any more and
// renumbers the rest, so that a long session whose messages keep getting
// new keyword combinations holds a table bounded by its mailbox's size
// (at most twice the messages, or minFlagSetsCompacted), and IDs stay
// within flagSetMask. Caller holds v.mu, or is newView.
func (v *selected) compactFlagSets() {
	renumbered := make(map[uint32]uint32)
	var sets [][]string
	ids := make(map[string]uint32)
	for i := range v.msgs {
		m := &v.msgs[i]
		old := m.flagSet()
		id, ok := renumbered[old]
		if !ok {
			id = uint32(len(sets))
			sets = append(sets, v.flagSets[old])
			ids[strings.Join(v.flagSets[old], "\x00")] = id
			renumbered[old] = id
		}
		m.setFlagSet(id)
	}
	v.flagSets, v.flagSetIDs = sets, ids
}

// indexLookup reads what never changes for a UID, INTERNALDATE and
// RFC822.SIZE, from the store's shared index instead of keeping it per
// session (see msgView). One per command: the index reader is taken on
// first use, so commands that need neither never touch it.
type indexLookup struct {
	s   *session
	v   *selected
	r   *store.IndexReader
	err error
	got bool
}

// dateSize returns uid's INTERNALDATE and size. ok is false when the
// message (or its mailbox) has left the store since the view's last sync:
// callers leave it out, as they do a message whose bytes are gone
// (RFC 9051 §7.5.1 lets the EXPUNGE wait; the data is no longer there).
func (x *indexLookup) dateSize(uid store.UID) (date time.Time, size int64, ok bool, err error) {
	if !x.got {
		x.got = true
		x.r, x.err = x.s.srv.store.IndexReader(x.s.ctx, x.s.acct.ID, x.v.mbox.ID)
	}
	if x.err != nil {
		if errors.Is(x.err, store.ErrMailboxNotFound) {
			return time.Time{}, 0, false, nil
		}
		return time.Time{}, 0, false, x.s.storeErr(x.err)
	}
	date, size, ok = x.r.DateSize(uid)
	return date, size, ok, nil
}

// flags returns m's flags as the session knows them. Read only.
func (v *selected) flags(m *msgView) []string { return v.flagSets[m.flagSet()] }

// setFlags records m's flags and MODSEQ as of the latest sync.
func (v *selected) setFlags(m *msgView, flags []string, modseq uint64) {
	m.setFlagSet(v.intern(flags))
	m.modseq = modseq
}

// drain applies the store's changes as they are published, so that the
// subscription's queue never holds more than one batch (a session that
// sends nothing for a while would otherwise queue every change of the
// account, other mailboxes' included), and wakes IDLE when the view has
// something to report. Commands hold v.mu, so drain applies changes only
// between them. It ends when the subscription is closed (unselect).
func (v *selected) drain() {
	defer close(v.wake)
	for range v.sub.C() {
		v.mu.Lock()
		v.sync()
		report := v.nGone > 0 || v.nDirty > 0 || v.flagsDirty || len(v.msgs) > v.announced || v.renumbered
		v.mu.Unlock()
		if report {
			select {
			case v.wake <- struct{}{}:
			default:
			}
		}
	}
}

// find returns the index of uid in the view, or -1.
func (v *selected) find(uid store.UID) int {
	i := sort.Search(len(v.msgs), func(i int) bool { return v.msgs[i].uid >= uid })
	if i < len(v.msgs) && v.msgs[i].uid == uid {
		return i
	}
	return -1
}

// sync takes the store's pending changes and applies them to the view,
// without writing anything. Caller holds v.mu.
func (v *selected) sync() {
	for _, c := range v.sub.Take() {
		v.apply(c)
	}
	clear(v.own)
}

func (v *selected) apply(c store.Change) {
	switch c := c.(type) {
	case store.MessageAdded:
		if c.Mailbox != v.mbox.ID {
			return
		}
		m := c.Message
		if n := len(v.msgs); n > 0 && m.UID <= v.msgs[n-1].uid {
			// Already in the snapshot SELECT loaded, or an import filling a
			// UID gap below messages the client knows: sequence numbers
			// cannot take it now (RFC 9051 §2.3.1.1); the next SELECT will.
			return
		}
		v.msgs = append(v.msgs, msgView{uid: m.UID, bits: v.intern(m.Flags), modseq: m.ModSeq})
		v.learnKeywords(m.Flags)
	case store.FlagsChanged:
		if c.Mailbox != v.mbox.ID {
			return
		}
		i := v.find(c.UID)
		if i < 0 || v.msgs[i].gone() || c.ModSeq <= v.msgs[i].modseq {
			return
		}
		m := &v.msgs[i]
		v.setFlags(m, c.Flags, c.ModSeq)
		if _, mine := v.own[c.ModSeq]; !mine && !m.dirty() {
			m.setDirty(true)
			v.nDirty++
		}
		v.learnKeywords(c.Flags)
	case store.MessagesExpunged:
		if c.Mailbox == v.mbox.ID {
			for _, uid := range c.UIDs {
				v.markGone(v.find(uid))
			}
		}
	case store.MailboxDeleted:
		if c.ID == v.mbox.ID {
			v.deleted = true
			for i := range v.msgs {
				v.markGone(i)
			}
		}
	case store.MailboxRenamed:
		if c.ID == v.mbox.ID {
			v.mbox.Name = c.NewName
		}
	case store.UIDValidityChanged:
		if c.Mailbox == v.mbox.ID {
			v.renumbered = true
		}
	}
}

func (v *selected) markGone(i int) {
	if i >= 0 && !v.msgs[i].gone() {
		v.msgs[i].setGone()
		v.nGone++
	}
}

func (v *selected) learnKeywords(flags []string) {
	for _, f := range flags {
		if !strings.HasPrefix(f, `\`) && !containsFold(v.keywords, f) {
			v.keywords = append(v.keywords, f)
			v.flagsDirty = true
		}
	}
}

// updateWriter is what flush writes to (imapserver's UpdateWriter).
type updateWriter interface {
	WriteExpunge(seq uint32) error
	WriteNumMessages(n uint32) error
	WriteMailboxFlags(flags []imap.Flag) error
	WriteMessageFlags(seq uint32, uid imap.UID, flags []imap.Flag) error
}

// flush reports the view's changes to the client: EXPUNGE (only when
// allowed, RFC 9051 §7.5.1), then FLAGS, EXISTS and FETCH FLAGS. Caller
// holds v.mu.
func (v *selected) flush(w updateWriter, allowExpunge bool) error {
	if allowExpunge && v.nGone > 0 {
		if err := v.flushExpunges(w.WriteExpunge); err != nil {
			return err
		}
	}
	if v.flagsDirty {
		v.flagsDirty = false
		if err := w.WriteMailboxFlags(v.mailboxFlags()); err != nil {
			return err
		}
	}
	if len(v.msgs) > v.announced {
		v.announced = len(v.msgs)
		if err := w.WriteNumMessages(uint32(v.announced)); err != nil {
			return err
		}
	}
	if v.nDirty == 0 {
		return nil
	}
	for i := range v.msgs {
		m := &v.msgs[i]
		if !m.dirty() {
			continue
		}
		m.setDirty(false)
		v.nDirty--
		if m.gone() || i >= v.announced {
			continue
		}
		if err := w.WriteMessageFlags(uint32(i+1), imap.UID(m.uid), imapFlags(v.flags(m))); err != nil {
			return err
		}
	}
	return nil
}

// flushExpunges removes gone messages and sends EXPUNGE for those the
// client knew of, with sequence numbers as the client sees them after each
// preceding EXPUNGE.
func (v *selected) flushExpunges(writeExpunge func(seq uint32) error) error {
	kept := v.msgs[:0]
	known := v.announced
	var err error
	for i := range v.msgs {
		m := v.msgs[i]
		if !m.gone() {
			kept = append(kept, m)
			continue
		}
		if m.dirty() {
			v.nDirty--
		}
		if i < known {
			v.announced--
			if err == nil {
				err = writeExpunge(uint32(len(kept) + 1))
			}
		}
	}
	clear(v.msgs[len(kept):])
	v.msgs = kept
	v.nGone = 0
	if len(v.searchRes) > 0 {
		v.searchRes = slices.DeleteFunc(v.searchRes, func(u store.UID) bool { return v.find(u) < 0 })
	}
	return err
}

func (v *selected) mailboxFlags() []imap.Flag {
	out := []imap.Flag{imap.FlagSeen, imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagDraft}
	for _, k := range v.keywords {
		out = append(out, imap.Flag(k))
	}
	return out
}

// Poll implements imapserver.Session: called after every command.
func (s *session) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	v := s.sel.Load()
	if v == nil {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sync()
	s.endIfRenumbered(v)
	return v.flush(w, allowExpunge)
}

// endIfRenumbered ends the session when its mailbox got a new UIDVALIDITY
// (an import with --renumber through the running server). RFC 9051
// §2.3.1.1 gives a server no way to change UIDVALIDITY within a session:
// the client learns it at its next SELECT, and must not go on using UIDs
// it cached under the old value. So the session says BYE, as it does at
// shutdown (in its own goroutine: Bye writes to the connection, which the
// command being answered holds). Caller holds v.mu.
func (s *session) endIfRenumbered(v *selected) {
	if !v.renumbered || s.conn == nil {
		return
	}
	v.renumbered = false
	s.log.Info("imap session ended: the selected mailbox got a new UIDVALIDITY", "mailbox", v.mbox.Name)
	go s.conn.Bye("The mailbox's UIDVALIDITY changed: connect and select it again")
}

// Idle implements IDLE (RFC 2177, RFC 9051 §6.3.13): changes are reported
// as soon as the store publishes them.
func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) (err error) {
	defer s.logCmd("IDLE", time.Now(), &err)
	v := s.sel.Load()
	if v == nil {
		<-stop
		return nil
	}
	notify := v.wake
	for {
		v.mu.Lock()
		v.sync()
		s.endIfRenumbered(v)
		err := v.flush(w, true)
		v.mu.Unlock()
		if err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case _, ok := <-notify:
			if !ok {
				<-stop
				return nil
			}
		}
	}
}

func imapFlags(flags []string) []imap.Flag {
	out := make([]imap.Flag, len(flags))
	for i, f := range flags {
		out[i] = imap.Flag(f)
	}
	return out
}

// containsFold: flags compare ASCII case-insensitively (RFC 9051 §2.3.2).
func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
