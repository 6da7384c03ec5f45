package imap

import (
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ferrymail/ferrymail/store"
)

// Create implements CREATE (RFC 9051 §6.3.4) with CREATE-SPECIAL-USE
// (RFC 6154 §3).
func (s *session) Create(name string, options *imap.CreateOptions) (err error) {
	defer s.logCmd("CREATE", time.Now(), &err)
	// RFC 9051 §6.3.4: a trailing delimiter declares the intent to create
	// names under it; the name itself is created without it.
	name = strings.TrimSuffix(name, string(delim))
	canon, err := mailboxName(name)
	if err != nil {
		return err
	}
	var opts store.CreateOptions
	if options != nil {
		switch len(options.SpecialUse) {
		case 0:
		case 1:
			opts.SpecialUse = string(options.SpecialUse[0])
		default:
			return errNo("USEATTR", "One special-use attribute per mailbox")
		}
	}
	_, err = s.srv.store.CreateMailbox(s.ctx, s.acct.ID, canon, opts)
	return s.storeErr(err)
}

// Delete implements DELETE (RFC 9051 §6.3.5).
func (s *session) Delete(name string) (err error) {
	defer s.logCmd("DELETE", time.Now(), &err)
	canon, err := mailboxName(name)
	if err != nil {
		return errNoMailbox
	}
	return s.storeErr(s.srv.store.DeleteMailbox(s.ctx, s.acct.ID, canon))
}

// Rename implements RENAME (RFC 9051 §6.3.6). Renaming INBOX, which moves
// its messages to a new mailbox in RFC 9051, is refused by the store.
func (s *session) Rename(oldName, newName string, _ *imap.RenameOptions) (err error) {
	defer s.logCmd("RENAME", time.Now(), &err)
	from, err := mailboxName(oldName)
	if err != nil {
		return errNoMailbox
	}
	to, err := mailboxName(newName)
	if err != nil {
		return err
	}
	return s.storeErr(s.srv.store.RenameMailbox(s.ctx, s.acct.ID, from, to))
}

// Subscribe and Unsubscribe implement RFC 9051 §6.3.7 and §6.3.8. The
// store keeps subscription on the mailbox record, so only existing
// mailboxes can be subscribed (RFC 9051 allows refusing the others).
func (s *session) Subscribe(name string) (err error) {
	defer s.logCmd("SUBSCRIBE", time.Now(), &err)
	return s.setSubscribed(name, true)
}

func (s *session) Unsubscribe(name string) (err error) {
	defer s.logCmd("UNSUBSCRIBE", time.Now(), &err)
	return s.setSubscribed(name, false)
}

func (s *session) setSubscribed(name string, on bool) error {
	canon, err := mailboxName(name)
	if err != nil {
		return errNoMailbox
	}
	return s.storeErr(s.srv.store.SetSubscribed(s.ctx, s.acct.ID, canon, on))
}

// Namespace implements NAMESPACE (RFC 2342, RFC 9051 §6.3.10): one
// personal namespace; there are no other users' or shared namespaces.
func (s *session) Namespace() (_ *imap.NamespaceData, err error) {
	defer s.logCmd("NAMESPACE", time.Now(), &err)
	return &imap.NamespaceData{Personal: []imap.NamespaceDescriptor{{Prefix: "", Delim: delim}}}, nil
}
