package imap

import (
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ferrymail/ferrymail/store"
)

// Select implements SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3). The
// session subscribes to the account's changes before it reads the
// snapshot, so nothing committed in between is lost; events already in
// the snapshot are recognised by UID and MODSEQ and skipped (view.apply).
func (s *session) Select(name string, options *imap.SelectOptions) (_ *imap.SelectData, err error) {
	cmd := "SELECT"
	if options.ReadOnly {
		cmd = "EXAMINE"
	}
	defer s.logCmd(cmd, time.Now(), &err)
	s.unselect() // RFC 9051 §6.3.2: a failed SELECT leaves no mailbox selected
	sub := s.srv.store.Subscribe(s.acct.ID)
	mb, err := s.lookupMailbox(name)
	if err != nil {
		sub.Close()
		return nil, err
	}
	v, err := newView(s.ctx, s.srv.store, s.acct.ID, mb, sub, options.ReadOnly)
	if err != nil {
		sub.Close()
		return nil, s.storeErr(err)
	}
	s.sel.Store(v)
	v.mu.Lock() // the view's drain goroutine runs from now on
	defer v.mu.Unlock()

	data := &imap.SelectData{
		Flags:       v.mailboxFlags(),
		NumMessages: uint32(v.announced),
		UIDNext:     imap.UID(mb.UIDNext),
		UIDValidity: mb.UIDValidity,
	}
	// RFC 9051 §7.1: PERMANENTFLAGS lists what STORE can change; \* says
	// new keywords can be created. A read-only mailbox changes nothing.
	if !options.ReadOnly {
		data.PermanentFlags = append(v.mailboxFlags(), imap.FlagWildcard)
	} else {
		data.PermanentFlags = []imap.Flag{}
	}
	for i := range v.announced {
		if !containsFold(v.flags(&v.msgs[i]), store.FlagSeen) {
			data.FirstUnseenSeqNum = uint32(i + 1) // RFC 3501 §7.1 UNSEEN
			break
		}
	}
	if s.conn.EnabledCaps().Has(imap.CapIMAP4rev2) {
		// RFC 9051 §6.3.2: "The server MUST return a LIST response with the mailbox name."
		data.List = &imap.ListData{Delim: delim, Mailbox: mb.Name}
	}
	return data, nil
}

// Unselect implements UNSELECT (RFC 3691) and the end of CLOSE (after
// imapserver has called Expunge with a silent writer).
func (s *session) Unselect() (err error) {
	defer s.logCmd("UNSELECT", time.Now(), &err)
	s.unselect()
	return nil
}

func (s *session) unselect() {
	if v := s.sel.Swap(nil); v != nil {
		v.sub.Close()
	}
}

// selectedView returns the selected mailbox's view, and an error for write
// commands on a read-only (EXAMINEd) one (RFC 9051 §6.3.3).
func (s *session) writableView() (*selected, error) {
	v := s.sel.Load()
	if v == nil {
		return nil, errBad("No mailbox selected")
	}
	if v.readOnly {
		return nil, errReadOnly
	}
	return v, nil
}
