package store

import (
	"sync"
)

// Change is a typed event published after a commit. Each IMAP session, the
// POP3 server, LMTP delivery and the importer subscribe to an account and
// see each other's changes in commit order.
type Change interface {
	// ChangeAccount is the account whose data changed.
	ChangeAccount() AccountID
}

// MessageAdded: a message was appended, delivered, imported, copied or moved in.
type MessageAdded struct {
	Account AccountID
	Mailbox MailboxID
	Message Message
}

// FlagsChanged: a message's flags changed.
type FlagsChanged struct {
	Account AccountID
	Mailbox MailboxID
	UID     UID
	ModSeq  uint64
	Flags   []string
}

// MessagesExpunged: messages left a mailbox (expunge, move out, POP3 DELE).
type MessagesExpunged struct {
	Account AccountID
	Mailbox MailboxID
	UIDs    []UID // ascending
	ModSeq  uint64
}

// MailboxCreated, MailboxRenamed, MailboxDeleted and MailboxSubscribed
// describe changes to the mailbox list.
type MailboxCreated struct {
	Account AccountID
	Mailbox Mailbox
}

type MailboxRenamed struct {
	Account AccountID
	ID      MailboxID
	OldName string
	NewName string
}

type MailboxDeleted struct {
	Account AccountID
	ID      MailboxID
	Name    string
}

type MailboxSubscribed struct {
	Account    AccountID
	ID         MailboxID
	Name       string
	Subscribed bool
}

// UIDValidityChanged: a mailbox was given a new UIDVALIDITY
// (RenewUIDValidity). Its messages keep their UIDs, but whatever a client
// cached under the old value is void (RFC 9051 §2.3.1.1), so a session
// that has the mailbox selected must end.
type UIDValidityChanged struct {
	Account     AccountID
	Mailbox     MailboxID
	UIDValidity uint32
}

func (c UIDValidityChanged) ChangeAccount() AccountID { return c.Account }

func (c MessageAdded) ChangeAccount() AccountID      { return c.Account }
func (c FlagsChanged) ChangeAccount() AccountID      { return c.Account }
func (c MessagesExpunged) ChangeAccount() AccountID  { return c.Account }
func (c MailboxCreated) ChangeAccount() AccountID    { return c.Account }
func (c MailboxRenamed) ChangeAccount() AccountID    { return c.Account }
func (c MailboxDeleted) ChangeAccount() AccountID    { return c.Account }
func (c MailboxSubscribed) ChangeAccount() AccountID { return c.Account }

// Subscription receives the changes of one account. Publishing never blocks:
// changes queue until the subscriber takes them, and C signals that some are
// waiting.
type Subscription struct {
	hub     *hub
	account AccountID
	notify  chan struct{}

	mu      sync.Mutex
	pending []Change
	closed  bool
}

// C is signalled (without blocking the publisher) when changes are waiting.
// It is closed when the subscription or the store closes.
func (s *Subscription) C() <-chan struct{} { return s.notify }

// Take returns the changes queued since the last call, oldest first.
func (s *Subscription) Take() []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.pending
	s.pending = nil
	return out
}

// Close stops the subscription.
func (s *Subscription) Close() { s.hub.remove(s) }

func (s *Subscription) push(changes []Change) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.pending = append(s.pending, changes...)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default: // already signalled
	}
}

type hub struct {
	mu     sync.Mutex
	subs   map[AccountID]map[*Subscription]struct{}
	closed bool

	// index is kept in step here: every committed change passes through
	// publish (store/index.go).
	index messageIndex
}

// Subscribe returns a subscription to the account's changes.
func (st *Store) Subscribe(a AccountID) *Subscription {
	h := &st.hub
	sub := &Subscription{hub: h, account: a, notify: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		sub.closed = true
		close(sub.notify)
		return sub
	}
	if h.subs == nil {
		h.subs = make(map[AccountID]map[*Subscription]struct{})
	}
	if h.subs[a] == nil {
		h.subs[a] = make(map[*Subscription]struct{})
	}
	h.subs[a][sub] = struct{}{}
	return sub
}

// publish hands changes to the account's subscribers. It is called after the
// commit and under the account lock (see Store's implementation notes).
func (h *hub) publish(a AccountID, changes []Change) {
	if len(changes) == 0 {
		return
	}
	h.index.apply(changes)
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[a] {
		sub.push(changes)
	}
}

func (h *hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if subs := h.subs[s.account]; subs != nil {
		if _, ok := subs[s]; ok {
			delete(subs, s)
			s.mu.Lock()
			s.closed = true
			s.mu.Unlock()
			close(s.notify)
		}
	}
}

func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, subs := range h.subs {
		for s := range subs {
			s.mu.Lock()
			s.closed = true
			s.mu.Unlock()
			close(s.notify)
		}
	}
	h.subs = nil
}
