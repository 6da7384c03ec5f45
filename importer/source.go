// Package importer brings mailboxes across from legacy sources (Maildir,
// mbox, a live POP3 server; IMAP servers later) into the store with the
// identifiers their clients cached: UIDVALIDITY, UIDs, UIDNEXT, flags,
// INTERNALDATE and POP3 UIDLs (DESIGN.md, "Identifiers on import").
//
// A Source yields mailboxes, and for each an iterator of messages carrying
// whatever identifiers the source knows. Run is the one place that applies
// the identifier rules and writes, through store.ImportMailbox and
// store.Import, in bounded batches:
//
//   - a new target mailbox (or one that never assigned a UID) takes the
//     source's UIDVALIDITY and every message its UID; UIDNEXT becomes at
//     least the source's;
//   - messages the source knows no UID for get UIDs above everything the
//     source has, in the order the source yields them (a stable order);
//   - a message whose SourceKey was imported before is skipped without
//     reading its body; when its flags differ at the source, they are
//     brought across (a re-run is the delta of a cut-over);
//   - a conflict (the target has UIDs under another UIDVALIDITY, or holds a
//     source UID with another message) stops that mailbox with an error
//     naming it, unless Options.Renumber is set, in which case the source's
//     messages take new UIDs in the target and its clients resynchronise
//     (when UIDs collide under one UIDVALIDITY, the target first gets a new
//     UIDVALIDITY: store.RenewUIDValidity);
//   - a source without flags (POP3) sets Message.FlagsUnknown: its
//     messages are imported without flags, and a re-run leaves the flags
//     of those imported before alone;
//   - with Options.ExpungeMissing, messages an earlier run imported that
//     the source no longer lists are expunged (the source must be a
//     StoredKeyer);
//   - UIDLs come from the source where it has them (dovecot-uidlist P
//     fields, courierpop3dsizelist, X-UIDL), else from Options.UIDLScheme,
//     else from the store's template (Dovecot's scheme).
//
// Resuming: every batch is one store transaction (or a few, all durable
// when Import returns), and every message carries a SourceKey that the
// store keeps, so an import killed at any moment and run again imports
// exactly what is missing.
package importer

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// Source is where mail comes from.
type Source interface {
	// Mailboxes lists the source's mailboxes, parents before children.
	Mailboxes(ctx context.Context) ([]Mailbox, error)
	// Messages iterates over one mailbox's messages, in ascending source UID
	// order for those that have one, then the others in a stable order.
	Messages(ctx context.Context, mb *Mailbox) (MessageIter, error)
}

// Mailbox is a source mailbox.
type Mailbox struct {
	Name        string    // UTF-8, hierarchy separated by "/"; "INBOX" for the inbox
	SourceName  string    // the name as the source spells it (a path, a folder), for reports
	UIDValidity uint32    // 0 when the source has none
	UIDNext     store.UID // 0 when the source has none
	// HighestModSeq is the source's HIGHESTMODSEQ (RFC 7162 §3.1.2.1), 0
	// when it has none: the target's is raised to at least this, so that
	// a CONDSTORE client's cached value stays valid.
	HighestModSeq uint64
	SpecialUse    string
	Subscribed    bool
	Notes         []string // what a report should say about how identifiers were found
	Warnings      []string // problems found while reading the mailbox's metadata (file:line: …)
	Private       any      // the source's own state
}

// MessageIter yields a mailbox's messages. Next returns io.EOF after the
// last one. An error of type *MessageError concerns one message only: the
// iterator goes on after it. Any other error ends the mailbox.
type MessageIter interface {
	Next() (*Message, error)
	Close() error
}

// Message is one source message with what the source knows of it.
type Message struct {
	UID       store.UID // 0: unknown
	UIDL      string    // the source's POP3 UIDL, "" if it has none
	UIDLFrom  string    // where UIDL came from, for the report ("dovecot-uidlist P", "X-UIDL" …)
	POP3Order uint32    // position in the legacy POP3 listing, 0 if unknown
	Flags     []string  // system flags (`\Seen` …) and keywords
	// FlagsUnknown says that the source has no flags (POP3): the message
	// is imported without any, and a re-run leaves the flags of a message
	// imported before as they are in the store.
	FlagsUnknown bool
	InternalDate time.Time
	// ModSeq is the source's MODSEQ of the message (RFC 7162 §3.1.4), 0
	// when it has none; the store raises it when it is not above the
	// target mailbox's HIGHESTMODSEQ.
	ModSeq uint64
	// SourceKey identifies the message at its source; it must be unique
	// within the mailbox and stable across runs (a Maildir base filename,
	// "uidvalidity/uid", a content key).
	SourceKey string
	// Where names the message for reports: "path" or "path:line".
	Where string
	// Vars are extra values for UIDL templates (%f, %g, %m).
	Filename, GUID, HeaderMD5 string
	// Open returns the message's bytes. It is called at most once, and
	// only for messages that are imported.
	Open func() (io.ReadCloser, error)
	// Streaming says that the body can only be read before the next call
	// to Next (an mbox message too large to buffer): Run then writes it
	// before asking for the next message.
	Streaming bool
	// Warnings about this message, each "where: what". Those that Open
	// adds are reported too.
	Warnings []string
}

// MessageError is a problem with one message; the import goes on without it.
type MessageError struct {
	Where string // file or file:line
	Err   error
}

func (e *MessageError) Error() string { return fmt.Sprintf("%s: %v", e.Where, e.Err) }
func (e *MessageError) Unwrap() error { return e.Err }
