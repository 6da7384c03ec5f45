package store

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the store returns for bad input wraps one of
// these, so callers map them to protocol answers with errors.Is; the wrapping
// text says what exactly was wrong.
var (
	ErrAccountNotFound    = errors.New("no such account")
	ErrAccountExists      = errors.New("account already exists")
	ErrInvalidAccountName = errors.New("invalid account name")
	ErrAuthFailed         = errors.New("authentication failed")
	ErrEmptyPassword      = errors.New("empty password")

	ErrMailboxNotFound    = errors.New("no such mailbox")
	ErrMailboxExists      = errors.New("mailbox already exists")
	ErrInvalidMailboxName = errors.New("invalid mailbox name")
	ErrHasChildren        = errors.New("mailbox has children")
	ErrInboxSpecial       = errors.New("INBOX cannot be deleted or renamed")
	ErrInvalidSpecialUse  = errors.New("invalid special-use attribute")

	ErrMessageNotFound = errors.New("no such message")
	ErrInvalidFlag     = errors.New("invalid flag")
	ErrTooManyKeywords = errors.New("too many keywords in mailbox")
	ErrTooLarge        = errors.New("message too large")

	// Identifier invariants (RFC 9051 §2.3.1.1, RFC 1939 §7).
	ErrUIDReuse            = errors.New("UID would be reused")
	ErrUIDNotAscending     = errors.New("UIDs not strictly ascending")
	ErrUIDSpaceExhausted   = errors.New("no UID left under this UIDVALIDITY")
	ErrUIDValidityConflict = errors.New("UIDVALIDITY conflict")
	ErrInvalidUIDL         = errors.New("invalid UIDL")
	ErrUIDLExists          = errors.New("UIDL already used in this account")
	ErrInvalidTemplate     = errors.New("invalid UIDL template")

	// ErrLocked is returned by Open when another process holds the data directory.
	ErrLocked = errors.New("data directory is in use by another process")
	// ErrClosed is returned by every call made after Close.
	ErrClosed = errors.New("store is closed")
)

// invalid wraps a sentinel with a description of what was wrong.
func invalid(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
