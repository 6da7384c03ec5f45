package imap

import (
	"errors"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/internal/limits"
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
	addr := limits.AddrKey(s.conn.NetConn().RemoteAddr())
	if ok, until := s.srv.opts.LoginLimiter.Allowed(addr); !ok {
		// Refused without checking the password (internal/limits). RFC
		// 5530 §3 UNAVAILABLE: a temporary failure; the text says why.
		s.log.Warn("imap login refused: too many failed logins from this address", "user", username, "until", until)
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable,
			Text: "Too many failed logins from your address, try again later"}
	}
	acct, err := s.srv.store.Authenticate(s.ctx, username, password)
	if errors.Is(err, store.ErrAuthFailed) || errors.Is(err, store.ErrInvalidAccountName) || errors.Is(err, store.ErrEmptyPassword) {
		if s.srv.opts.LoginLimiter.Failed(addr) {
			s.log.Warn("imap login failures: address blocked", "addr", addr)
		}
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
	release, ok := s.srv.perUser.Acquire(acct.Name)
	if !ok {
		// RFC 5530 §3 LIMIT: "an implementation limit of some kind".
		s.log.Info("imap login refused: too many sessions", "user", acct.Name, "max", s.srv.perUser.Max())
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeLimit,
			Text: "Too many sessions for this user"}
	}
	s.userSlot = release
	s.acct = &acct
	s.log = s.base.With("user", acct.Name)
	return nil
}

// Unauthenticate implements UNAUTHENTICATE (RFC 8437): back to the
// not-authenticated state, nothing of the old login kept.
func (s *session) Unauthenticate() (err error) {
	defer s.logCmd("UNAUTHENTICATE", time.Now(), &err)
	s.unselect()
	s.releaseUser()
	s.acct = nil
	s.log = s.base
	return nil
}

// releaseUser gives back the account's place under
// Options.MaxConnectionsPerUser, if the session holds one.
func (s *session) releaseUser() {
	if s.userSlot != nil {
		s.userSlot()
		s.userSlot = nil
	}
}
