package lmtp

import (
	"context"
	"errors"
	"strings"

	"github.com/ferrymail/ferrymail/store"
)

// DefaultRecipientDelimiter separates a user from a detail in a recipient's
// local part: alice+lists@example.org is alice's, with detail "lists". It
// is Dovecot's default recipient_delimiter and the usual Postfix setting.
const DefaultRecipientDelimiter = "+"

// splitDetail cuts the detail off addr's local part (the text before the
// last "@") at the first byte that is one of delims (each byte of delims is
// a delimiter, as in Dovecot and Postfix): it returns the address without
// the detail and the detail. ok is false when the local part has no
// delimiter, or the user part before it would be empty ("+x@example.org"
// is not a detail address).
func splitDetail(addr, delims string) (base, detail string, ok bool) {
	at := strings.LastIndexByte(addr, '@')
	local, domain := addr, ""
	if at >= 0 {
		local, domain = addr[:at], addr[at:]
	}
	i := strings.IndexAny(local, delims)
	if delims == "" || i <= 0 {
		return addr, "", false
	}
	return local[:i] + domain, local[i+1:], true
}

// accountForRecipient maps RCPT TO to an account: AccountFor on the
// address as given, and when that names no account, AccountFor on the
// address without its +detail (splitDetail). The address as given comes
// first, so an account whose name holds the delimiter ("a+b") still gets
// its mail. The detail selects no mailbox: the message goes to INBOX, and
// its Delivered-To keeps the full address for the user's filters.
func accountForRecipient(ctx context.Context, st *store.Store, addr, delims string) (store.Account, error) {
	acc, err := AccountFor(ctx, st, addr)
	if err == nil || !errors.Is(err, store.ErrAccountNotFound) {
		return acc, err
	}
	base, _, ok := splitDetail(addr, delims)
	if !ok {
		return acc, err
	}
	return AccountFor(ctx, st, base)
}
