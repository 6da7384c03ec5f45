package imap

import (
	"errors"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/store"
)

// Copy implements COPY and UID COPY (RFC 9051 §6.4.7) with COPYUID from
// the UIDs the store assigned (RFC 4315 §3).
func (s *session) Copy(numSet imap.NumSet, dest string) (_ *imap.CopyData, err error) {
	defer s.logCmd("COPY", time.Now(), &err)
	v := s.sel.Load()
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sync() // answer from the current state; reported changes wait for Poll
	uids := v.liveUIDs(v.resolve(numSet))
	dst, err := s.destMailbox(dest)
	if err != nil {
		return nil, err
	}
	if len(uids) == 0 {
		return nil, nil
	}
	res, err := s.srv.store.Copy(s.ctx, s.acct.ID, v.mbox.ID, dst.ID, uids)
	if err != nil {
		return nil, s.storeErr(err)
	}
	return copyData(res), nil
}

// Move implements MOVE and UID MOVE (RFC 6851): COPYUID first, then the
// EXPUNGEs (RFC 6851 §4.3), which come from the store's change events.
func (s *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) (err error) {
	defer s.logCmd("MOVE", time.Now(), &err)
	v, err := s.writableView()
	if err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sync() // answer from the current state; reported changes wait for Poll
	uids := v.liveUIDs(v.resolve(numSet))
	dst, err := s.destMailbox(dest)
	if err != nil {
		return err
	}
	if len(uids) == 0 {
		return nil
	}
	res, err := s.srv.store.Move(s.ctx, s.acct.ID, v.mbox.ID, dst.ID, uids)
	if err != nil {
		return s.storeErr(err)
	}
	if err := w.WriteCopyData(copyData(res)); err != nil {
		return err
	}
	v.sync()
	return v.flushExpunges(w.WriteExpunge)
}

// destMailbox resolves a COPY/MOVE/APPEND target: NO [TRYCREATE] when it
// does not exist (RFC 9051 §6.3.12, §6.4.7).
func (s *session) destMailbox(name string) (store.Mailbox, error) {
	mb, err := s.lookupMailbox(name)
	if errors.Is(err, errNoMailbox) {
		return mb, errNo(imap.ResponseCodeTryCreate, "No such mailbox")
	}
	return mb, err
}

func (v *selected) liveUIDs(idx []int) []store.UID {
	uids := make([]store.UID, 0, len(idx))
	for _, i := range idx {
		if !v.msgs[i].gone() {
			uids = append(uids, v.msgs[i].uid)
		}
	}
	return uids
}

func copyData(res store.CopyResult) *imap.CopyData {
	if len(res.Pairs) == 0 {
		return nil
	}
	src := make([]store.UID, len(res.Pairs))
	dst := make([]store.UID, len(res.Pairs))
	for i, p := range res.Pairs {
		src[i], dst[i] = p.Src, p.Dst
	}
	return &imap.CopyData{UIDValidity: res.DstUIDValidity, SourceUIDs: uidSetOf(src), DestUIDs: uidSetOf(dst)}
}
