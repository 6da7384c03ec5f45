package pop3

import (
	"fmt"

	"github.com/ferrymail/ferrymail/store"
)

// cmdNoop: RFC 1939 §5 NOOP.
func (s *session) cmdNoop(arg string) error {
	if arg != "" {
		return badf("NOOP takes no argument")
	}
	return s.ok("")
}

// cmdQuit: RFC 1939 §4 QUIT in AUTHORIZATION ends the session; in
// TRANSACTION it enters the UPDATE state (§6), where the messages marked
// deleted are removed through the store, whose MessagesExpunged event tells
// IMAP sessions.
func (s *session) cmdQuit(arg string) error {
	if arg != "" {
		return badf("QUIT takes no argument")
	}
	s.done = true
	if s.state != stateTransaction {
		return s.ok("Ferrymail POP3 server signing off")
	}
	s.state = stateUpdate
	var uids []store.UID
	for _, e := range s.drop.msgs {
		if e.deleted {
			uids = append(uids, e.uid)
		}
	}
	if len(uids) > 0 {
		gone, err := s.srv.store.Expunge(s.srv.ctx, s.account.ID, s.drop.mailbox, uids)
		if err != nil {
			s.log.Error("pop3 update", "err", err, "deleted", len(gone), "marked", len(uids))
			// RFC 1939 §6: "-ERR some deleted messages not removed".
			return &Error{Code: CodeSysTemp, Text: "some deleted messages not removed", Close: true}
		}
		s.log.Info("pop3 update", "deleted", len(gone), "marked", len(uids))
	}
	s.srv.unlockMaildrop(s)
	n, _ := s.drop.stat()
	if n == 0 {
		return s.ok("Ferrymail POP3 server signing off (maildrop empty)")
	}
	return s.ok(fmt.Sprintf("Ferrymail POP3 server signing off (%d messages left)", n))
}
