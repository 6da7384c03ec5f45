package imap

import (
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ferrymail/ferrymail/store"
)

// Append implements APPEND (RFC 9051 §6.3.12) with APPENDUID (RFC 4315 §3)
// from the UID the store assigned, APPENDLIMIT (RFC 7889, checked by
// imapserver against AppendLimit before the literal is accepted) and the
// UTF8 and BINARY literal forms (RFC 6855, RFC 3516). The literal streams
// into the store. Appending to the selected mailbox, read-only or not,
// reaches this session as EXISTS through its change events.
func (s *session) Append(mailbox string, r imap.LiteralReader, options *imap.AppendOptions) (_ *imap.AppendData, err error) {
	defer s.logCmd("APPEND", time.Now(), &err)
	if r.Size() > int64(s.srv.opts.AppendLimit) { // RFC 7889 §2
		return nil, errNo(imap.ResponseCodeTooBig, fmt.Sprintf("Message over APPENDLIMIT=%d", s.srv.opts.AppendLimit))
	}
	mb, err := s.destMailbox(mailbox)
	if err != nil {
		return nil, err
	}
	opts := store.AppendOptions{InternalDate: options.Time}
	opts.Flags = storableFlags(options.Flags)
	res, err := s.srv.store.Append(s.ctx, s.acct.ID, mb.ID, r, opts)
	if err != nil {
		return nil, s.storeErr(err)
	}
	return &imap.AppendData{UID: imap.UID(res.Message.UID), UIDValidity: res.UIDValidity}, nil
}
