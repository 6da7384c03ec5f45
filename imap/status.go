package imap

import (
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ferrymail/ferrymail/store"
)

// Status implements STATUS (RFC 9051 §6.3.11) with STATUS=SIZE (RFC 8438)
// and APPENDLIMIT (RFC 7889). Every answer comes from the mailbox record's
// counters: no message is read.
func (s *session) Status(name string, options *imap.StatusOptions) (_ *imap.StatusData, err error) {
	defer s.logCmd("STATUS", time.Now(), &err)
	mb, err := s.lookupMailbox(name)
	if err != nil {
		return nil, err
	}
	return statusData(&mb, options, s.srv.opts.AppendLimit), nil
}

// statusData fills every field imapserver may dereference (it writes
// *NumMessages and the like without a nil check, GO-IMAP-NOTES §1.2).
func statusData(mb *store.Mailbox, _ *imap.StatusOptions, appendLimit uint32) *imap.StatusData {
	var zero uint32
	var zero64 int64
	msgs, unseen, deleted, size := mb.Messages, mb.Unseen, mb.Deleted, mb.Size
	return &imap.StatusData{
		Mailbox:        mb.Name,
		NumMessages:    &msgs,
		NumRecent:      &zero, // \Recent is not kept (RFC 9051 removed it)
		UIDNext:        imap.UID(mb.UIDNext),
		UIDValidity:    mb.UIDValidity,
		NumUnseen:      &unseen,
		NumDeleted:     &deleted,
		Size:           &size,
		AppendLimit:    &appendLimit,
		DeletedStorage: &zero64,
		HighestModSeq:  mb.HighestModSeq,
	}
}
