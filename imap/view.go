package imap

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/store"
)

// msgView is what a session knows of one message: enough to answer FLAGS,
// UID, INTERNALDATE, RFC822.SIZE and every SEARCH criterion that needs no
// message bytes, without a store read.
type msgView struct {
	uid    store.UID
	modseq uint64
	flags  []string
	date   time.Time
	size   int64
	gone   bool // expunged in the store, EXPUNGE not yet sent
	dirty  bool // flags changed by someone else, FETCH not yet sent
}

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

	keywords   []string // mailbox keywords, for FLAGS
	flagsDirty bool     // keywords grew: send FLAGS

	// own holds the MODSEQs of this session's own flag changes, whose
	// events must not be echoed as unsolicited FETCH.
	own map[uint64]struct{}

	searchRes []store.UID // RFC 5182 "$"
	deleted   bool        // the mailbox was deleted under us

	// wake is signalled by drain when the view has something to report;
	// it is closed when the subscription ends.
	wake chan struct{}
}

func newView(mbox store.Mailbox, sub *store.Subscription, msgs []store.MessageSummary, readOnly bool) *selected {
	v := &selected{mbox: mbox, sub: sub, readOnly: readOnly, own: make(map[uint64]struct{}),
		keywords: slices.Clone(mbox.Keywords), msgs: make([]msgView, len(msgs))}
	for i := range msgs {
		m := &msgs[i]
		v.msgs[i] = msgView{uid: m.UID, modseq: m.ModSeq, flags: m.Flags, date: m.InternalDate, size: m.Size}
	}
	v.announced = len(v.msgs)
	v.wake = make(chan struct{}, 1)
	go v.drain()
	return v
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
		report := v.nGone > 0 || v.nDirty > 0 || v.flagsDirty || len(v.msgs) > v.announced
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
		v.msgs = append(v.msgs, msgView{uid: m.UID, modseq: m.ModSeq, flags: m.Flags, date: m.InternalDate, size: m.Size})
		v.learnKeywords(m.Flags)
	case store.FlagsChanged:
		if c.Mailbox != v.mbox.ID {
			return
		}
		i := v.find(c.UID)
		if i < 0 || v.msgs[i].gone || c.ModSeq <= v.msgs[i].modseq {
			return
		}
		m := &v.msgs[i]
		m.flags, m.modseq = c.Flags, c.ModSeq
		if _, mine := v.own[c.ModSeq]; !mine && !m.dirty {
			m.dirty = true
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
	}
}

func (v *selected) markGone(i int) {
	if i >= 0 && !v.msgs[i].gone {
		v.msgs[i].gone = true
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
		if !m.dirty {
			continue
		}
		m.dirty = false
		v.nDirty--
		if m.gone || i >= v.announced {
			continue
		}
		if err := w.WriteMessageFlags(uint32(i+1), imap.UID(m.uid), imapFlags(m.flags)); err != nil {
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
		if !m.gone {
			kept = append(kept, m)
			continue
		}
		if m.dirty {
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
	return v.flush(w, allowExpunge)
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
