// Package admin is the administration API of a Ferrymail data directory:
// the operations behind "ferrymail user …", "ferrymail mailbox list" and
// "ferrymail message list".
//
// One interface, API, has two implementations. Local calls the store
// directly; it is used when no server runs, and by Server, which answers the
// requests of a Client on the admin socket of a running "ferrymail serve".
// Open chooses between them, so that the command line works whether the
// server runs or not while badger is never opened by two processes.
//
// Both implementations return errors that wrap the store's sentinels
// (store.ErrAccountNotFound, store.ErrAccountExists, …) or ErrEmptyPassword,
// so callers use errors.Is the same way for either.
package admin

import (
	"context"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// API is what an administrator can do with a data directory.
type API interface {
	// AddUser creates an account with the default mailboxes.
	AddUser(ctx context.Context, name, password string) (User, error)
	// Users lists all accounts, ordered by login name.
	Users(ctx context.Context) ([]User, error)
	// SetPassword replaces an account's password.
	SetPassword(ctx context.Context, name, password string) error
	// DeleteUser removes an account with all its mail.
	DeleteUser(ctx context.Context, name string) error
	// Mailboxes lists an account's mailboxes, ordered by name.
	Mailboxes(ctx context.Context, user string) ([]Mailbox, error)
	// Messages lists a mailbox's messages in UID order.
	Messages(ctx context.Context, user, mailbox string) ([]Message, error)
}

// ErrEmptyPassword is returned for an empty password: an account that
// anyone can log in to is never what the administrator meant. It is the
// store's error, so both implementations report it alike.
var ErrEmptyPassword = store.ErrEmptyPassword

// User is an account as the administrator sees it.
type User struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// Mailbox is a mailbox's identifiers and counts: what a client has cached.
type Mailbox struct {
	Name          string    `json:"name"`
	UIDValidity   uint32    `json:"uidvalidity"`
	UIDNext       store.UID `json:"uidnext"`
	HighestModSeq uint64    `json:"highestmodseq"`
	Messages      uint32    `json:"messages"`
	SpecialUse    string    `json:"special_use,omitempty"` // RFC 6154 attribute, "" for none
	Subscribed    bool      `json:"subscribed"`
}

// Message is a message's identifiers and attributes, without its bytes.
type Message struct {
	UID          store.UID `json:"uid"`
	UIDL         string    `json:"uidl"`
	Flags        []string  `json:"flags"`
	Size         int64     `json:"size"`
	InternalDate time.Time `json:"internaldate"`
	ModSeq       uint64    `json:"modseq"`
}
