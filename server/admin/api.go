// Package admin is the administration API of a Ferrymail data directory:
// the operations behind "ferrymail user …", "ferrymail mailbox list",
// "ferrymail message list" and "ferrymail import".
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

	"github.com/ferrymail/ferrymail/importer"
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
	// ImportUser creates an account with a password hash kept as given
	// (a Dovecot passwd-file's, see store/password), or with Update set
	// replaces the hash of an existing one.
	ImportUser(ctx context.Context, u UserHash) (ImportedUser, error)
	// DeleteUser removes an account with all its mail.
	DeleteUser(ctx context.Context, name string) error
	// Mailboxes lists an account's mailboxes, ordered by name.
	Mailboxes(ctx context.Context, user string) ([]Mailbox, error)
	// Messages lists a mailbox's messages in UID order.
	Messages(ctx context.Context, user, mailbox string) ([]Message, error)
	// Import imports a Maildir, mbox or POP3 source into an account (see package
	// importer), calling progress, when not nil, as the importer reports.
	// The report says what happened mailbox by mailbox; the error is for
	// an import that could not start or was cancelled. Cancelling ctx
	// stops the import, which a later run resumes.
	Import(ctx context.Context, req ImportRequest, progress func(importer.Progress)) (*importer.Report, error)
}

// Import source formats (ImportRequest.Format).
const (
	FormatMaildir = "maildir"
	FormatMbox    = "mbox"
	FormatPOP3    = "pop3" // a live POP3 server: Host, RemoteUser, PasswordFile, TLS
	FormatIMAP    = "imap" // a live IMAP server: Host, RemoteUser, PasswordFile, TLS
)

// ImportRequest is what "ferrymail import" asks for: its arguments and
// flags, as plain values that cross the admin socket.
type ImportRequest struct {
	Format string `json:"format"` // FormatMaildir, FormatMbox or FormatPOP3
	// Path is the source, a Maildir, an mbox file or a tree of mbox files.
	// It must be absolute: the server runs as the same user on the same
	// machine as the command, but not in the same working directory.
	Path       string `json:"path"`
	User       string `json:"user"`                  // the account to import into
	UIDLScheme string `json:"uidl_scheme,omitempty"` // uidl.Parse syntax; "" for none
	Renumber   bool   `json:"renumber,omitempty"`
	FillGaps   bool   `json:"fill_gaps,omitempty"`
	DryRun     bool   `json:"dry_run,omitempty"`
	// FromQuoting and Mailbox are mbox.Options: mbox.ParseQuoting syntax
	// ("" for none) and the target of a single mbox file ("" for INBOX).
	FromQuoting string `json:"from_quoting,omitempty"`
	Mailbox     string `json:"mailbox,omitempty"`
	// Host, RemoteUser, PasswordFile, TLS and InsecureSkipVerify say which
	// live server to read (FormatPOP3, FormatIMAP). The password travels as the path
	// of a file that the server reads (absolute, as Path), never in the
	// request; its first line is the password. TLS is "none" (or ""),
	// "starttls" or "implicit".
	Host               string `json:"host,omitempty"`
	RemoteUser         string `json:"remote_user,omitempty"`
	PasswordFile       string `json:"password_file,omitempty"`
	TLS                string `json:"tls,omitempty"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
	// ExpungeMissing is importer.Options.ExpungeMissing (FormatPOP3 and
	// FormatIMAP).
	ExpungeMissing bool `json:"expunge_missing,omitempty"`
	// AttachUIDLs (FormatPOP3 only) imports nothing: it gives the INBOX
	// messages imported over IMAP the UIDLs the POP3 server lists for the
	// same messages (pop3src.Source.AttachUIDLs).
	AttachUIDLs bool `json:"attach_uidls,omitempty"`
	// Include, Exclude and Rename choose and name the mailboxes of a
	// FormatIMAP source (imapsrc.Options): LIST-style patterns ("*", "%")
	// on the UTF-8 names with "/" between levels, and source name →
	// target name, children following.
	Include []string          `json:"include,omitempty"`
	Exclude []string          `json:"exclude,omitempty"`
	Rename  map[string]string `json:"rename,omitempty"`
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
