package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Options configure a Store. The zero value is a durable store with the
// default UIDL template, logging to slog.Default().
type Options struct {
	// Logger receives the store's and badger's log lines.
	Logger *slog.Logger

	// UIDLTemplate renders the POP3 UIDL of natively delivered messages;
	// "" means DefaultUIDLTemplate.
	UIDLTemplate string

	// NoSync turns off fsync on commit. It is for benchmarks and throw-away
	// tests only: an acknowledged write could be lost on power failure.
	// See docs/store.md for the measurements behind the default.
	NoSync bool

	// MaxMessageSize bounds one message in bytes; 0 means DefaultMaxMessageSize.
	MaxMessageSize int64

	// MemTableSize is badger's memtable size in bytes; 0 means 64 MiB.
	// Tests that open many stores at once use less.
	MemTableSize int64

	// GCInterval is how often the value log is garbage-collected; 0 means
	// 10 minutes, a negative value turns the background collector off.
	GCInterval time.Duration

	// RehashOnLogin makes Authenticate replace a password hash in another
	// scheme than argon2id (an imported one) after a successful login
	// (AuthenticateAndUpgrade, store/account_hash.go).
	RehashOnLogin bool
}

// DefaultMaxMessageSize is larger than any mail system's limit we know of
// (Gmail 50 MB incl. encoding, Exchange Online 150 MB).
const DefaultMaxMessageSize = 256 << 20

// Store is the mail store. It is safe for concurrent use.
//
// Implementation notes (the package's invariants):
//   - Every write that touches one account runs under that account's write
//     lock (lockAccount), reads the mailbox record, allocates UIDs and MODSEQs
//     from it and writes it back in the same badger transaction (RFC 9051
//     §2.3.1.1: UIDs are allocated with the message, never from a Sequence).
//   - Change events are published after the commit, still under the account
//     lock, so every subscriber sees one account's changes in commit order.
//   - Nothing under an account lock writes to a network connection; Publish
//     only appends to in-memory queues.
//   - Message bytes larger than one transaction are written as blob chunks in
//     their own transactions first, marked orphan ('z'); the message's
//     transaction clears the mark. Orphans left by a crash are swept on Open.
type Store struct {
	db       *badger.DB
	lock     *os.File // flock on dir/LOCK.ferrymail, held while open
	log      *slog.Logger
	template UIDLTemplate
	maxSize  int64
	ids      *badger.Sequence // mailbox, account and blob IDs (not UIDs)
	rehash   bool             // Options.RehashOnLogin

	// hashSlots bounds the password hashes computed at once (argon2id
	// takes 19 MiB each): a burst of 1,000 logins, as after a restart,
	// would otherwise hold 19 GiB (docs/benchmarks.md, "Scale").
	hashSlots chan struct{}

	accountLocks sync.Map   // AccountID -> *sync.Mutex
	purgeMu      sync.Mutex // one purge of deleted mailboxes at a time
	hub          hub

	closeOnce sync.Once
	stop      chan struct{}
	bg        sync.WaitGroup
}

// Open opens (creating if needed) the store in dir. It fails with ErrLocked if
// another process has dir open: badger takes an exclusive lock on it.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	tmplText := opts.UIDLTemplate
	if tmplText == "" {
		tmplText = DefaultUIDLTemplate
	}
	tmpl, err := ParseUIDLTemplate(tmplText)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	// The directory holds password hashes and everyone's mail.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("restricting data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	err = removeEmptyLogFiles(dir, func(name string) {
		log.Warn("removed an empty badger file left by an interrupted run (badger#2207)", "file", name)
	})
	if err != nil {
		lock.Close()
		return nil, err
	}
	bo := badger.DefaultOptions(dir).
		WithLogger(badgerLogger{log.With("component", "badger")}).
		WithSyncWrites(!opts.NoSync).
		// Values above 4 KiB (message chunks, large structures) go to the
		// value log; records stay in the LSM tree, so listing the UIDs and
		// flags of a mailbox reads no value log.
		WithValueThreshold(4 << 10).
		WithNumVersionsToKeep(1).
		WithMetricsEnabled(false)
	if opts.MemTableSize > 0 {
		bo = bo.WithMemTableSize(opts.MemTableSize).WithBlockCacheSize(4 * opts.MemTableSize)
	}
	db, err := badger.Open(bo)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("opening store in %s: %w", dir, err)
	}
	seq, err := db.GetSequence(keySequence("ids"), 1000)
	if err != nil {
		db.Close()
		lock.Close()
		return nil, fmt.Errorf("opening ID sequence: %w", err)
	}
	maxSize := opts.MaxMessageSize
	if maxSize <= 0 {
		maxSize = DefaultMaxMessageSize
	}
	s := &Store{db: db, lock: lock, log: log, template: tmpl, maxSize: maxSize, ids: seq, rehash: opts.RehashOnLogin, stop: make(chan struct{}),
		hashSlots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	// Nothing writes yet, so every orphan mark left now is from a crash.
	if err := s.sweepOrphans(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sweeping after restart: %w", err)
	}
	if err := s.purgeDeadMailboxes(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("purging deleted mailboxes: %w", err)
	}
	interval := opts.GCInterval
	if interval == 0 {
		interval = 10 * time.Minute
	}
	if interval > 0 {
		s.bg.Add(1)
		go s.gcLoop(interval)
	}
	return s, nil
}

// Close waits for background work and closes the database. It is safe to
// call more than once.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		s.bg.Wait()
		s.hub.closeAll()
		if e := s.ids.Release(); e != nil {
			err = fmt.Errorf("releasing ID sequence: %w", e)
		}
		if e := s.db.Close(); e != nil && err == nil {
			err = fmt.Errorf("closing badger: %w", e)
		}
		s.lock.Close() // releases the flock
	})
	return err
}

// gcLoop runs badger's value-log garbage collection, as its documentation
// asks (expunged messages leave dead chunks in the value log).
func (s *Store) gcLoop(interval time.Duration) {
	defer s.bg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			for i := 0; i < 10; i++ { // each call rewrites at most one file
				if err := s.db.RunValueLogGC(0.5); err != nil {
					if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
						s.log.Warn("value log gc", "err", err)
					}
					break
				}
			}
		}
	}
}

// nextID allocates an account, mailbox or blob ID. Gaps after a crash are
// harmless: these IDs need only be unique.
func (s *Store) nextID() (uint64, error) {
	for {
		id, err := s.ids.Next()
		if err != nil {
			return 0, fmt.Errorf("allocating ID: %w", err)
		}
		if id != 0 { // 0 means "none" in records
			return id, nil
		}
	}
}

// lockAccount takes the account's write lock; see the implementation notes.
func (s *Store) lockAccount(a AccountID) func() {
	v, _ := s.accountLocks.LoadOrStore(a, new(sync.Mutex))
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// maxConflictRetries bounds the retry loop on badger.ErrConflict. Writes of
// one account are serialised, so conflicts come only from shared blobs.
const maxConflictRetries = 10

// update runs fn in a read-write transaction, retrying on conflicts.
func (s *Store) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.db.Update(fn)
		if errors.Is(err, badger.ErrConflict) && attempt < maxConflictRetries {
			continue
		}
		if errors.Is(err, badger.ErrDBClosed) {
			return ErrClosed
		}
		return err
	}
}

// view runs fn in a read-only snapshot.
func (s *Store) view(ctx context.Context, fn func(txn *badger.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.View(fn)
	if errors.Is(err, badger.ErrDBClosed) {
		return ErrClosed
	}
	return err
}

// badgerLogger adapts badger's printf logger to slog (CONVENTIONS §11).
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) { b.l.Error(strings.TrimSpace(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Warningf(f string, a ...any) {
	b.l.Warn(strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (b badgerLogger) Infof(f string, a ...any)  { b.l.Debug(strings.TrimSpace(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Debugf(f string, a ...any) { b.l.Debug(strings.TrimSpace(fmt.Sprintf(f, a...))) }
