package imap

import (
	"errors"
	"time"

	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/store"
)

// Login implements LOGIN (RFC 9051 §6.2.3) and, through imapserver's PLAIN
// server, AUTHENTICATE PLAIN (RFC 4616, with SASL-IR RFC 4959). Whether the
// connection may authenticate at all (TLS, loopback or AllowInsecureAuth)
// was decided when it was accepted: see Server.open/strict.
func (s *session) Login(username, password string) (err error) {
	defer s.logCmd("LOGIN", time.Now(), &err)
	if s.acct != nil {
		return errBad("Already authenticated")
	}
	acct, err := s.srv.store.Authenticate(s.ctx, username, password)
	if errors.Is(err, store.ErrAuthFailed) || errors.Is(err, store.ErrInvalidAccountName) || errors.Is(err, store.ErrEmptyPassword) {
		// A delay after a failed login slows down guessing (CONVENTIONS §6).
		if d := s.srv.opts.FailedLoginDelay; d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
			}
		}
		s.log.Info("imap login failed", "user", username)
		return imapserver.ErrAuthFailed
	}
	if err != nil {
		return s.storeErr(err)
	}
	s.acct = &acct
	s.log = s.base.With("user", acct.Name)
	return nil
}

// Unauthenticate implements UNAUTHENTICATE (RFC 8437): back to the
// not-authenticated state, nothing of the old login kept.
func (s *session) Unauthenticate() (err error) {
	defer s.logCmd("UNAUTHENTICATE", time.Now(), &err)
	s.unselect()
	s.acct = nil
	s.log = s.base
	return nil
}
