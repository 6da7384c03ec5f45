package store

import "time"

// AccountID, MailboxID and BlobID are immutable identifiers allocated by the
// store. They never change, whatever is renamed.
type (
	AccountID uint64
	MailboxID uint64
	BlobID    uint64
)

// UID is an IMAP unique identifier (RFC 9051 §2.3.1.1), a non-zero 32-bit number.
type UID uint32

// Account is a mail user.
type Account struct {
	ID      AccountID
	Name    string // as given at creation; logins match it case-insensitively
	Created time.Time
}

// Mailbox is a mailbox as clients cache it. Everything here is stored,
// never derived: UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ are data.
type Mailbox struct {
	ID            MailboxID
	Account       AccountID
	Name          string // hierarchy separated by "/"; "INBOX" is always spelled so
	UIDValidity   uint32
	UIDNext       UID
	HighestModSeq uint64 // RFC 7162 §3.1.1
	Subscribed    bool
	SpecialUse    string // RFC 6154 attribute (`\Sent` …), "" for none

	Messages uint32 // number of messages
	Unseen   uint32 // messages without \Seen
	Deleted  uint32 // messages with \Deleted
	Size     int64  // sum of message sizes (STATUS=SIZE, RFC 8438)

	// Keywords lists every keyword ever stored in the mailbox, each spelled as
	// it was first given; a keyword given later in another case maps to it.
	Keywords []string

	// importFloor is one above the highest UID this store assigned itself
	// (append, copy, move). UIDs from importFloor up to UIDNEXT that no
	// message holds and no tombstone records are reserved for the import
	// source: ImportMailbox raises UIDNEXT to the source's UIDNEXT before the
	// source's messages arrive, so clients see the same UIDNEXT as before.
	importFloor UID
}

// Message is what a client caches about a message, without its bytes.
type Message struct {
	UID          UID
	ModSeq       uint64
	Flags        []string // system flags canonically spelled, then keywords as first given
	InternalDate time.Time
	Size         int64  // octets of the stored (CRLF) message: RFC822.SIZE, POP3 LIST
	UIDL         string // POP3 unique-id listing (RFC 1939 §7)
	POP3Order    uint32 // position in the legacy POP3 listing, 0 when none was imported
	Blob         BlobID
}

// HasFlag reports whether the message carries flag (case-insensitively).
func (m *Message) HasFlag(flag string) bool {
	for _, f := range m.Flags {
		if equalFold(f, flag) {
			return true
		}
	}
	return false
}

// Special-use attributes (RFC 6154 §2).
const (
	SpecialAll     = `\All`
	SpecialArchive = `\Archive`
	SpecialDrafts  = `\Drafts`
	SpecialFlagged = `\Flagged`
	SpecialJunk    = `\Junk`
	SpecialSent    = `\Sent`
	SpecialTrash   = `\Trash`
)

// System flags (RFC 9051 §2.3.2). \Recent is not stored: it is a session property.
const (
	FlagSeen     = `\Seen`
	FlagAnswered = `\Answered`
	FlagFlagged  = `\Flagged`
	FlagDeleted  = `\Deleted`
	FlagDraft    = `\Draft`
)

// InboxName is the one mailbox name that is case-insensitive (RFC 9051 §5.1).
const InboxName = "INBOX"

// defaultMailboxes are created with every account (RFC 6154 attributes).
var defaultMailboxes = []struct{ name, specialUse string }{
	{InboxName, ""},
	{"Sent", SpecialSent},
	{"Drafts", SpecialDrafts},
	{"Trash", SpecialTrash},
	{"Junk", SpecialJunk},
	{"Archive", SpecialArchive},
}
