package imap

import (
	"reflect"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/store"
)

// Expunge implements EXPUNGE (RFC 9051 §6.4.3), UID EXPUNGE (RFC 4315 §2.1)
// and the expunge step of CLOSE (RFC 9051 §6.4.1), which imapserver calls
// with a writer that discards: CLOSE sends no EXPUNGE, and on a read-only
// mailbox it expunges nothing and still succeeds.
func (s *session) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) (err error) {
	closing := isSilentWriter(w)
	if closing {
		defer s.logCmd("CLOSE", time.Now(), &err)
	} else {
		defer s.logCmd("EXPUNGE", time.Now(), &err)
	}
	v := s.sel.Load()
	if v == nil {
		return errBad("No mailbox selected")
	}
	if v.readOnly {
		if closing {
			return nil
		}
		return errReadOnly
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	// The view knows which messages carry \Deleted (it is synchronised
	// first), so the store need not list the mailbox; the store checks the
	// flag again in its transaction.
	v.sync()
	idx := make([]int, 0, len(v.msgs))
	if uids != nil {
		idx = v.resolve(*uids)
	} else {
		for i := range v.msgs {
			idx = append(idx, i)
		}
	}
	var which []store.UID
	for _, i := range idx {
		if m := &v.msgs[i]; !m.gone() && containsFold(v.flags(m), store.FlagDeleted) {
			which = append(which, m.uid)
		}
	}
	if len(which) == 0 {
		return v.flushExpunges(w.WriteExpunge)
	}
	if _, err := s.srv.store.ExpungeDeleted(s.ctx, s.acct.ID, v.mbox.ID, which); err != nil {
		return s.storeErr(err)
	}
	// Our own expunge arrives as change events, in commit order with
	// everyone else's; EXISTS and FETCH follow in the Poll after this.
	v.sync()
	return v.flushExpunges(w.WriteExpunge)
}

// isSilentWriter tells CLOSE's ExpungeWriter (no connection) from
// EXPUNGE's. imapserver does not export the difference; reading an
// unexported field's nil-ness through reflect is allowed, and
// TestCloseOnExamine fails if a library upgrade changes it.
func isSilentWriter(w *imapserver.ExpungeWriter) bool {
	f := reflect.ValueOf(w).Elem().FieldByName("conn")
	return f.IsValid() && f.IsNil()
}
