package imap

import (
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/ferrymail/ferrymail/store"
)

// delim is the hierarchy delimiter shown to clients; it is the store's, so
// names map one to one (imapserver has already decoded modified UTF-7,
// RFC 3501 §5.1.3, or taken UTF-8 under UTF8=ACCEPT, RFC 6855).
const delim = '/'

// mailboxName checks a client's mailbox name and returns the store's
// spelling. Every name is resolved inside the logged-in account (the store
// has no names outside it), so "..", "*" or "#shared/x" can never reach
// another user's mail; they are refused here so that nothing looks as if
// it could.
func mailboxName(name string) (string, error) {
	if strings.HasPrefix(name, "#") || strings.HasPrefix(name, "~") {
		// "#" starts a namespace prefix (RFC 9051 §5.1), "~" is the usual
		// Other Users prefix (RFC 2342 §5); we have only the personal
		// namespace "" (see Namespace), and names that look like the
		// others would mislead.
		return "", errNo(imap.ResponseCodeNonExistent, "No such namespace")
	}
	canon, err := store.CanonicalMailboxName(name)
	if err != nil {
		return "", errNo(imap.ResponseCodeCannot, "Invalid mailbox name")
	}
	for _, part := range strings.Split(canon, string(delim)) {
		if part == "." || part == ".." {
			return "", errNo(imap.ResponseCodeCannot, "Invalid mailbox name: no \".\" or \"..\" levels")
		}
	}
	return canon, nil
}

// lookupMailbox resolves an existing mailbox of the logged-in account.
func (s *session) lookupMailbox(name string) (store.Mailbox, error) {
	canon, err := mailboxName(name)
	if err != nil {
		return store.Mailbox{}, errNoMailbox
	}
	mb, err := s.srv.store.Mailbox(s.ctx, s.acct.ID, canon)
	if err != nil {
		return store.Mailbox{}, s.storeErr(err)
	}
	return mb, nil
}
