package store

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// The message index: per mailbox, in memory, the part of each message
// record that SELECT needs (UID, MODSEQ, flags, INTERNALDATE, size), so that
// selecting a large mailbox copies a slice instead of iterating and
// decoding every record in badger (docs/store.md, "Scale": 70% of a
// 100k-message listing was badger iteration).
//
// Invariants:
//   - The index is a cache, never the truth. Nothing is written from it; a
//     mailbox's entries are built from badger on first use after Open and
//     dropped when the mailbox is deleted.
//   - It is kept in step at one place: hub.publish, which every write
//     calls after its commit and under the account lock (see Store's
//     implementation notes). A mailbox is loaded under the same lock, so a
//     load sees every commit whose change was published before it, and
//     every later change reaches the loaded entries.
//   - Memory: 32 bytes per message of a mailbox that has been listed since
//     Open (indexEntry), plus one interned flag list per distinct flag
//     combination in the mailbox. 1,000,000 messages cost about 31 MiB.
//   - CheckConsistency compares every loaded mailbox with badger
//     (index_check.go).

// MessageSummary is one message as SELECT lists it (a session keeps only
// part of it; see index_iter.go). Flags is shared with the index and other
// callers: read it, never modify it in place.
type MessageSummary struct {
	UID          UID
	ModSeq       uint64
	Flags        []string
	InternalDate time.Time
	Size         int64
}

// indexEntry is one message in a mailbox's index; flags indexes the
// mailbox's interned flag lists. 32 bytes with padding.
type indexEntry struct {
	uid    UID
	flags  uint32
	modseq uint64
	date   int64 // INTERNALDATE, Unix nanoseconds (as the record stores it)
	size   int64
}

// messageIndex holds the loaded mailboxes. Its zero value is ready to use.
type messageIndex struct {
	mu    sync.Mutex
	boxes map[MailboxID]*boxIndex
}

// boxIndex is one mailbox's entries, ascending by UID.
type boxIndex struct {
	account AccountID

	mu       sync.RWMutex
	entries  []indexEntry
	flagSets [][]string        // interned flag lists, each clipped (append copies)
	flagIDs  map[string]uint32 // flag list joined by "\x00" -> index in flagSets
}

func (x *messageIndex) loaded(m MailboxID) *boxIndex {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.boxes[m]
}

func (x *messageIndex) install(m MailboxID, b *boxIndex) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.boxes == nil {
		x.boxes = make(map[MailboxID]*boxIndex)
	}
	x.boxes[m] = b
}

func (x *messageIndex) drop(m MailboxID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.boxes, m)
}

// apply brings the loaded mailboxes up to date with committed changes.
// Mailboxes not loaded are left alone: their first use reads badger.
func (x *messageIndex) apply(changes []Change) {
	for _, c := range changes {
		switch c := c.(type) {
		case MessageAdded:
			if b := x.loaded(c.Mailbox); b != nil {
				b.add(&c.Message)
			}
		case FlagsChanged:
			if b := x.loaded(c.Mailbox); b != nil {
				b.setFlags(c.UID, c.ModSeq, c.Flags)
			}
		case MessagesExpunged:
			if b := x.loaded(c.Mailbox); b != nil {
				b.remove(c.UIDs)
			}
		case MailboxDeleted:
			x.drop(c.ID)
		}
	}
}

func newBoxIndex(a AccountID, capacity int) *boxIndex {
	return &boxIndex{account: a, entries: make([]indexEntry, 0, capacity), flagIDs: make(map[string]uint32)}
}

// intern returns the ID of flags' interned copy. Caller holds b.mu.
func (b *boxIndex) intern(flags []string) uint32 {
	key := strings.Join(flags, "\x00")
	if id, ok := b.flagIDs[key]; ok {
		return id
	}
	id := uint32(len(b.flagSets))
	b.flagSets = append(b.flagSets, slices.Clip(slices.Clone(flags)))
	b.flagIDs[key] = id
	return id
}

// find returns the position of uid, and whether it is there. Caller holds b.mu.
func (b *boxIndex) find(uid UID) (int, bool) {
	i := sort.Search(len(b.entries), func(i int) bool { return b.entries[i].uid >= uid })
	return i, i < len(b.entries) && b.entries[i].uid == uid
}

func (b *boxIndex) add(msg *Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := indexEntry{uid: msg.UID, flags: b.intern(msg.Flags), modseq: msg.ModSeq,
		date: msg.InternalDate.UnixNano(), size: msg.Size}
	if n := len(b.entries); n == 0 || b.entries[n-1].uid < msg.UID {
		b.entries = append(b.entries, e)
		return
	}
	// An import filling a UID gap below existing messages.
	i, found := b.find(msg.UID)
	if found {
		b.entries[i] = e
		return
	}
	b.entries = slices.Insert(b.entries, i, e)
}

func (b *boxIndex) setFlags(uid UID, modseq uint64, flags []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i, found := b.find(uid); found {
		b.entries[i].flags = b.intern(flags)
		b.entries[i].modseq = modseq
	}
}

// remove drops the entries of uids (ascending) in one pass over the entries.
func (b *boxIndex) remove(uids []UID) {
	if len(uids) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(uids) == 1 {
		if i, found := b.find(uids[0]); found {
			b.entries = slices.Delete(b.entries, i, i+1)
		}
		return
	}
	start, _ := b.find(uids[0])
	kept := b.entries[:start]
	k := 0
	for _, e := range b.entries[start:] {
		for k < len(uids) && uids[k] < e.uid {
			k++
		}
		if k < len(uids) && uids[k] == e.uid {
			continue
		}
		kept = append(kept, e)
	}
	clear(b.entries[len(kept):])
	b.entries = kept
}

// summaries copies the entries out.
func (b *boxIndex) summaries() []MessageSummary {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]MessageSummary, len(b.entries))
	for i, e := range b.entries {
		out[i] = MessageSummary{UID: e.uid, ModSeq: e.modseq, Flags: b.flagSets[e.flags],
			InternalDate: time.Unix(0, e.date).UTC(), Size: e.size}
	}
	return out
}

// MessageSummaries lists a mailbox's messages in UID order with what a
// session needs for its sequence-number map, FLAGS, INTERNALDATE,
// RFC822.SIZE and SEARCH on those: SELECT's listing. It is answered from the
// in-memory index, loaded from badger on the mailbox's first use.
func (s *Store) MessageSummaries(ctx context.Context, a AccountID, m MailboxID) ([]MessageSummary, error) {
	b, err := s.boxIndex(ctx, a, m)
	if err != nil {
		return nil, err
	}
	return b.summaries(), nil
}

// boxIndex returns mailbox m's index, loading it under the account lock if
// it is not loaded yet.
func (s *Store) boxIndex(ctx context.Context, a AccountID, m MailboxID) (*boxIndex, error) {
	if b := s.hub.index.loaded(m); b != nil {
		if b.account != a {
			return nil, ErrMailboxNotFound
		}
		return b, nil
	}
	defer s.lockAccount(a)()
	if b := s.hub.index.loaded(m); b != nil { // loaded while we waited
		if b.account != a {
			return nil, ErrMailboxNotFound
		}
		return b, nil
	}
	b, err := s.loadBoxIndex(ctx, a, m)
	if err != nil {
		return nil, err
	}
	s.hub.index.install(m, b)
	return b, nil
}

// loadBoxIndex reads a mailbox's message records into a new index.
func (s *Store) loadBoxIndex(ctx context.Context, a AccountID, m MailboxID) (*boxIndex, error) {
	var b *boxIndex
	err := s.view(ctx, func(txn *badger.Txn) error {
		mb, err := getMailbox(txn, a, m)
		if err != nil {
			return err
		}
		b = newBoxIndex(a, int(mb.Messages))
		return forEachMessage(txn, m, func(msg *Message) error {
			b.entries = append(b.entries, indexEntry{uid: msg.UID, flags: b.intern(msg.Flags),
				modseq: msg.ModSeq, date: msg.InternalDate.UnixNano(), size: msg.Size})
			return nil
		})
	})
	return b, err
}

// forEachMessage decodes every message record of m in UID order. msg is
// reused between calls.
func forEachMessage(txn *badger.Txn, m MailboxID, fn func(msg *Message) error) error {
	var msg Message
	return forEach(txn, prefixMessages(m), func(k, v []byte) error {
		d, err := decodeKey(k)
		if err != nil {
			return err
		}
		msg = Message{}
		if err := unmarshalMessage(v, d.UID, &msg); err != nil {
			return err
		}
		return fn(&msg)
	})
}
