package pop3

import (
	"errors"
	"time"

	"github.com/ferrymail/ferrymail/internal/observe"
)

// loginCommands are the commands that attempt a login (RFC 1939 §7, RFC
// 5034 §4); APOP is refused, but a client trying it is still trying.
var loginCommands = map[string]bool{"PASS": true, "AUTH": true, "APOP": true}

// observeCommand reports one command to Options.Observer, beside its log
// line (dispatch). before is the state the command started in: a login
// succeeded when it moved the session from AUTHORIZATION to TRANSACTION.
// A login command refused as a client error (PASS before USER, AUTH in the
// wrong state) and AUTH without an argument (the mechanism list) are not
// login attempts.
func (s *session) observeCommand(name string, before state, outcome string, d time.Duration, err error) {
	obs := s.srv.opts.Observer
	if name == "" {
		name = "empty"
	}
	obs.Command(observe.POP3, name, outcome, d)
	if !loginCommands[name] {
		return
	}
	switch {
	case err == nil && before == stateAuthorization && s.state == stateTransaction:
		obs.Login(observe.POP3, observe.LoginOK)
	case errors.Is(err, errAuthFailed):
		obs.Login(observe.POP3, observe.LoginFailed)
	case err != nil && outcome != observe.Bad:
		obs.Login(observe.POP3, observe.LoginError)
	}
}
