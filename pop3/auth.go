package pop3

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferrymail/ferrymail/internal/limits"
	"github.com/ferrymail/ferrymail/store"
)

// errAuthFailed: RFC 3206 §5 [AUTH]. Unknown user and wrong password get
// the same answer after the same delay.
var errAuthFailed = &Error{Code: CodeAuth, Text: "invalid user name or password", Strike: true}

// authAllowed reports whether credentials may be sent on this connection:
// encrypted, from loopback, or explicitly allowed (Options.AllowInsecureAuth).
func (s *session) authAllowed() bool {
	return s.tls || s.local || s.srv.opts.AllowInsecureAuth
}

func (s *session) checkAuthAllowed() error {
	if s.authAllowed() {
		return nil
	}
	text := "plaintext authentication is not allowed on an unencrypted connection"
	if s.srv.opts.TLSConfig != nil {
		text += "; use STLS first"
	}
	return &Error{Code: CodeAuth, Text: text, Strike: true}
}

// cmdUser: RFC 1939 §7 USER name. The name is accepted whatever it is, so
// that USER does not reveal which accounts exist.
func (s *session) cmdUser(arg string) error {
	if err := s.checkAuthAllowed(); err != nil {
		return err
	}
	if arg == "" {
		return badf("USER needs a name")
	}
	s.user = arg
	return s.ok("send PASS")
}

// cmdPass: RFC 1939 §7 PASS string. "Since the PASS command has exactly
// one argument, a POP3 server may treat spaces in the argument as part of
// the password, instead of as argument separators": the argument is taken
// whole.
func (s *session) cmdPass(arg string) error {
	if err := s.checkAuthAllowed(); err != nil {
		return err
	}
	if s.user == "" {
		return badf("send USER first")
	}
	user := s.user
	s.user = "" // a failed PASS needs a new USER
	if arg == "" {
		return badf("PASS needs a password")
	}
	return s.login(user, arg)
}

// cmdApop: RFC 1939 §7 APOP needs the plaintext secret on the server to
// compute the digest; the store keeps only argon2id hashes, so no usable
// secret exists. APOP is not advertised (the greeting has no timestamp) and
// is refused with the reason.
func (s *session) cmdApop(string) error {
	return badf("APOP is not available on this server; use USER/PASS or AUTH PLAIN")
}

// saslMechanisms are the SASL mechanisms offered (RFC 5034, CAPA SASL).
var saslMechanisms = []string{"PLAIN"}

// cmdAuth: RFC 5034 §4 AUTH mechanism [initial-response]. Only PLAIN
// (RFC 4616) is offered: the store can verify a password, nothing else.
func (s *session) cmdAuth(arg string) error {
	fields := strings.Fields(arg)
	if len(fields) == 0 {
		// Not in RFC 5034, but older clients (RFC 1734 era) list the
		// mechanisms with a bare AUTH; answering does no harm.
		s.line("+OK SASL mechanisms follow")
		for _, m := range saslMechanisms {
			s.line(m)
		}
		s.line(".")
		return nil
	}
	if err := s.checkAuthAllowed(); err != nil {
		return err
	}
	if len(fields) > 2 {
		return badf("AUTH takes a mechanism and an optional initial response")
	}
	if !strings.EqualFold(fields[0], "PLAIN") {
		return badf("unsupported SASL mechanism")
	}
	var resp string
	if len(fields) == 2 {
		resp = fields[1]
		if resp == "=" { // RFC 5034 §4: "=" is a zero-length initial response
			resp = ""
		}
	} else {
		// RFC 5034 §4: an empty challenge, "+ " and CRLF.
		s.line("+ ")
		if err := s.bw.Flush(); err != nil {
			return &fatalError{err}
		}
		s.raw.SetReadDeadline(time.Now().Add(s.srv.opts.IdleTimeout))
		line, err := s.readLine()
		if err != nil {
			return &fatalError{fmt.Errorf("reading SASL response: %w", err)}
		}
		if line == "*" { // RFC 5034 §4: the client cancels
			return badf("authentication cancelled")
		}
		resp = line
	}
	data, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		// RFC 5034 §4: "If the client's response is not valid base64, the
		// server MUST reject the AUTH command with a -ERR reply".
		return badf("invalid base64 in SASL response")
	}
	authz, user, pass, ok := parsePlain(data)
	if !ok {
		return badf("malformed PLAIN response")
	}
	// Logging in as someone else (a proxy identity) is not supported.
	if authz != "" && !strings.EqualFold(authz, user) {
		s.authFailDelay()
		return errAuthFailed
	}
	return s.login(user, pass)
}

// parsePlain splits a PLAIN message (RFC 4616 §2):
// [authzid] NUL authcid NUL passwd.
func parsePlain(b []byte) (authz, user, pass string, ok bool) {
	parts := bytes.Split(b, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 || len(parts[2]) == 0 {
		return "", "", "", false
	}
	return string(parts[0]), string(parts[1]), string(parts[2]), true
}

// authFailDelay pauses after a failed login (Options.AuthFailDelay), or
// until the server closes.
func (s *session) authFailDelay() {
	d := s.srv.opts.AuthFailDelay
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.srv.ctx.Done():
	}
}

// login checks the credentials, locks the maildrop (RFC 1939 §8) and takes
// the snapshot; on success the session enters the TRANSACTION state.
func (s *session) login(user, pass string) error {
	addr := limits.AddrKey(s.raw.RemoteAddr())
	if ok, until := s.srv.opts.LoginLimiter.Allowed(addr); !ok {
		// Refused without checking the password (internal/limits): RFC
		// 3206 §4 SYS/TEMP, a temporary condition; [AUTH] would tell the
		// user the password is wrong, [LOGIN-DELAY] (RFC 2449 §8.1.2) is
		// about the user's successful logins, not the address's failures.
		s.log.Warn("pop3 login refused: too many failed logins from this address", "login", truncate(user), "until", until)
		return &Error{Code: CodeSysTemp, Text: "too many failed logins from your address, try again later", Strike: true}
	}
	acc, err := s.srv.store.Authenticate(s.srv.ctx, user, pass)
	if errors.Is(err, store.ErrAuthFailed) {
		s.log.Info("pop3 login failed", "login", truncate(user))
		if s.srv.opts.LoginLimiter.Failed(addr) {
			s.log.Warn("pop3 login failures: address blocked", "addr", addr)
		}
		s.authFailDelay()
		return errAuthFailed
	}
	if err != nil {
		return fmt.Errorf("authenticating: %w", err)
	}
	// RFC 2449 §8.1.1 [IN-USE]: credentials right, maildrop busy.
	if !s.srv.lock(acc.ID, s) {
		s.log.Info("pop3 maildrop in use", "login", acc.Name)
		return &Error{Code: CodeInUse, Text: "maildrop is locked by another POP3 session"}
	}
	s.account = acc
	drop, err := s.snapshot()
	if err != nil {
		s.srv.unlock(acc.ID, s)
		s.account = store.Account{}
		return err
	}
	s.drop = drop
	s.state = stateTransaction
	s.log = s.log.With("user", acc.Name)
	n, size := drop.stat()
	s.log.Info("pop3 login", "messages", n, "octets", size, "tls", s.tls)
	return s.ok(fmt.Sprintf("maildrop has %d messages (%d octets)", n, size))
}
