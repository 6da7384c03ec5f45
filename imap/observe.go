package imap

import (
	"errors"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/internal/observe"
)

// observeCommand reports one command to Options.Observer, beside its log
// line (logCmd): the outcome is the status class of the tagged response
// imapserver writes for err (RFC 9051 §7.1), and LOGIN (also reached by
// AUTHENTICATE PLAIN) counts as a login attempt.
func (s *session) observeCommand(name string, d time.Duration, err error) {
	obs := s.srv.opts.Observer
	obs.Command(observe.IMAP, name, commandOutcome(err), d)
	if name == "LOGIN" {
		obs.Login(observe.IMAP, loginOutcome(err))
	}
}

// commandOutcome classifies err the way imapserver answers it: an
// *imap.Error is written as its own status (NO or BAD), anything else as
// NO; NO [SERVERBUG] and errors that are not *imap.Error are ours.
func commandOutcome(err error) string {
	var ierr *imap.Error
	switch {
	case err == nil:
		return observe.OK
	case !errors.As(err, &ierr):
		return observe.Error
	case ierr.Code == imap.ResponseCodeServerBug:
		return observe.Error
	case ierr.Type == imap.StatusResponseTypeBad:
		return observe.Bad
	}
	return observe.No
}

func loginOutcome(err error) string {
	switch {
	case err == nil:
		return observe.LoginOK
	case errors.Is(err, imapserver.ErrAuthFailed):
		return observe.LoginFailed
	}
	return observe.LoginError
}
