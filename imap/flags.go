package imap

import (
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/store"
)

// Store implements STORE and UID STORE (RFC 9051 §6.4.6). Flags and
// keywords keep the case the client gave (the store keeps a keyword's
// first spelling in the mailbox).
func (s *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) (err error) {
	defer s.logCmd("STORE", time.Now(), &err)
	v, err := s.writableView()
	if err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sync() // answer from the current state; reported changes wait for Poll
	idx := v.resolve(numSet)
	uids := make([]store.UID, 0, len(idx))
	for _, i := range idx {
		if !v.msgs[i].gone() {
			uids = append(uids, v.msgs[i].uid)
		}
	}
	if len(uids) == 0 {
		return nil
	}
	op := map[imap.StoreFlagsOp]store.FlagOp{
		imap.StoreFlagsSet: store.FlagsReplace, imap.StoreFlagsAdd: store.FlagsAdd, imap.StoreFlagsDel: store.FlagsRemove,
	}[flags.Op]
	var opts store.StoreFlagsOptions
	if options != nil {
		opts.UnchangedSince = options.UnchangedSince
	}
	res, err := s.srv.store.StoreFlags(s.ctx, s.acct.ID, v.mbox.ID, uids, op, storableFlags(flags.Flags), opts)
	if err != nil {
		return s.storeErr(err)
	}
	v.applyOwn(res)
	if flags.Silent {
		return nil // RFC 9051 §6.4.6 .SILENT
	}
	for _, c := range res.Current {
		i := v.find(c.UID)
		if i < 0 {
			continue
		}
		rw := w.CreateMessage(uint32(i + 1))
		rw.WriteUID(imap.UID(c.UID))
		rw.WriteFlags(imapFlags(v.flags(&v.msgs[i])))
		v.clearDirty(i)
		if err := rw.Close(); err != nil {
			return err
		}
	}
	return nil
}

// storableFlags drops what a client cannot set: \Recent is the server's
// (RFC 3501 §2.3.2) and \* is only a PERMANENTFLAGS marker.
func storableFlags(in []imap.Flag) []string {
	out := make([]string, 0, len(in))
	for _, f := range in {
		if strings.EqualFold(string(f), `\Recent`) || f == imap.FlagWildcard {
			continue
		}
		out = append(out, string(f))
	}
	return out
}
