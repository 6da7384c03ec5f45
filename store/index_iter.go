package store

import (
	"context"
	"time"
)

// Reading the message index without copying it (issue 8, "Scale"). A
// session with a large mailbox selected keeps only what it must own (its
// sequence-number map, and the flags and MODSEQ it has been told of);
// SELECT streams the listing into it instead of taking a copy, and what
// never changes for a UID (INTERNALDATE, size) is read here when a FETCH
// or SEARCH needs it.

// EachMessageSummary calls fn for every message of mailbox m in UID order,
// from the in-memory index (loaded from badger on the mailbox's first use),
// after calling count with their number so the caller can allocate once.
// The index is read-locked throughout, so the listing is one consistent
// snapshot; writers to the account wait, hence fn must be quick and must
// not call the Store. The summary passed to fn is reused between calls;
// its Flags is shared with the index: read it, never modify it in place.
func (s *Store) EachMessageSummary(ctx context.Context, a AccountID, m MailboxID, count func(n int), fn func(*MessageSummary)) error {
	b, err := s.boxIndex(ctx, a, m)
	if err != nil {
		return err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	count(len(b.entries))
	var ms MessageSummary
	for _, e := range b.entries {
		ms = MessageSummary{UID: e.uid, ModSeq: e.modseq, Flags: b.flagSets[e.flags],
			InternalDate: time.Unix(0, e.date).UTC(), Size: e.size}
		fn(&ms)
	}
	return nil
}

// IndexReader looks messages of one mailbox up in the in-memory index.
// Take one per command: it reads the index as it is at each call. It
// remembers where the last lookup ended, so lookups in ascending UID order
// (FETCH and SEARCH over a range) skip the binary search. Not for
// concurrent use.
type IndexReader struct {
	b    *boxIndex
	next int // position after the last message found
}

// IndexReader returns a reader of mailbox m's index, loading it if needed.
func (s *Store) IndexReader(ctx context.Context, a AccountID, m MailboxID) (*IndexReader, error) {
	b, err := s.boxIndex(ctx, a, m)
	if err != nil {
		return nil, err
	}
	return &IndexReader{b: b}, nil
}

// DateSize returns the INTERNALDATE and size of message uid, which never
// change for a UID; ok is false if the message is not (or no longer) in
// the mailbox.
func (r *IndexReader) DateSize(uid UID) (date time.Time, size int64, ok bool) {
	b := r.b
	b.mu.RLock()
	defer b.mu.RUnlock()
	i := r.next
	if i >= len(b.entries) || b.entries[i].uid != uid {
		// Not the next one (or the entries moved since): search.
		var found bool
		if i, found = b.find(uid); !found {
			return time.Time{}, 0, false
		}
	}
	r.next = i + 1
	e := &b.entries[i]
	return time.Unix(0, e.date).UTC(), e.size, true
}
