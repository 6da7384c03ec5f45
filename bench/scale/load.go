package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// Loading: one pass of the generator feeds both servers. A goroutine
// generates each message once, writes it as a Maildir file for Dovecot and
// hands a copy to the main goroutine, which imports batches into the
// Ferrymail store through store.Import (the importer's write path).

const (
	uidValidity  = 1700000000
	importBatch  = 500 // store.Import's own transaction batch
	userName     = "alice"
	userPassword = "pw"
)

// loadTimes says how long each half of the load took.
type loadTimes struct {
	total, maildirWrite, ferryImport time.Duration
	bytes                            int64
}

// owner is who Dovecot reads the Maildir as (-1: leave as is).
type owner struct{ uid, gid int }

// loadMailbox generates n messages into mailbox name of both servers:
// maildir is the Dovecot Maildir folder (…/Maildir or …/Maildir/.Name).
func loadMailbox(ctx context.Context, st *store.Store, acct store.AccountID, name, maildir string, n uint32, seed uint64, own owner) (loadTimes, error) {
	start := time.Now()
	mb, err := st.ImportMailbox(ctx, acct, store.ImportMailboxSpec{Name: name, UIDValidity: uidValidity, UIDNext: store.UID(n + 1)})
	if err != nil {
		return loadTimes{}, err
	}
	batches := make(chan []store.ImportMessage, 2)
	var lt loadTimes
	genErr := make(chan error, 1)
	go func() {
		defer close(batches)
		t0 := time.Now()
		err := writeMaildir(ctx, maildir, n, seed, own, func(m message) {
			lt.bytes += int64(len(m.body))
		}, batches)
		lt.maildirWrite = time.Since(t0)
		genErr <- err
	}()
	t0 := time.Now()
	for batch := range batches {
		if _, err := st.Import(ctx, acct, mb.ID, batch, store.ImportOptions{}); err != nil {
			for range batches { // let the writer finish
			}
			<-genErr
			return lt, fmt.Errorf("importing into %s: %w", name, err)
		}
	}
	lt.ferryImport = time.Since(t0)
	if err := <-genErr; err != nil {
		return lt, err
	}
	lt.total = time.Since(start)
	return lt, nil
}

// writeMaildir writes messages 1..n as Maildir files in dir/cur with a
// dovecot-uidlist (version 3, LEGACY-FORMATS.md §b.1) giving each its UID,
// and sends them in batches for the store.
func writeMaildir(ctx context.Context, dir string, n uint32, seed uint64, own owner, each func(message), out chan<- []store.ImportMessage) error {
	for _, sub := range []string{"", "cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return err
		}
		if err := chown(filepath.Join(dir, sub), own); err != nil {
			return err
		}
	}
	uidlist, err := os.Create(filepath.Join(dir, "dovecot-uidlist"))
	if err != nil {
		return err
	}
	defer uidlist.Close()
	w := bufio.NewWriterSize(uidlist, 1<<20)
	fmt.Fprintf(w, "3 V%d N%d G%032x\n", uidValidity, n+1, seed+uint64(n))
	g := newGenerator(seed)
	batch := make([]store.ImportMessage, 0, importBatch)
	for uid := uint32(1); uid <= n; uid++ {
		if uid%10000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		m := g.message(uid)
		each(m)
		name := fmt.Sprintf("%d.M%dP1.scale,S=%d,W=%d:2,%s", m.date.Unix(), uid, len(m.body), len(m.body), maildirFlags(m.flags))
		path := filepath.Join(dir, "cur", name)
		if err := os.WriteFile(path, m.body, 0o600); err != nil {
			return err
		}
		if err := chown(path, own); err != nil {
			return err
		}
		// Maildir's INTERNALDATE is the file's modification time.
		if err := os.Chtimes(path, m.date, m.date); err != nil {
			return err
		}
		fmt.Fprintf(w, "%d :%s\n", uid, name)
		batch = append(batch, store.ImportMessage{UID: store.UID(uid), Flags: m.flags, InternalDate: m.date,
			Body: bytes.NewReader(slices.Clone(m.body))})
		if len(batch) == importBatch {
			out <- batch
			batch = make([]store.ImportMessage, 0, importBatch)
		}
	}
	if len(batch) > 0 {
		out <- batch
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return chown(uidlist.Name(), own)
}

// maildirFlags are the info letters of a Maildir file name, in ASCII order.
func maildirFlags(flags []string) string {
	letters := map[string]byte{`\Draft`: 'D', `\Flagged`: 'F', `\Answered`: 'R', `\Seen`: 'S', `\Deleted`: 'T'}
	var out []byte
	for _, f := range flags {
		if c, ok := letters[f]; ok {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return string(out)
}

func chown(path string, own owner) error {
	if own.uid < 0 {
		return nil
	}
	return os.Lchown(path, own.uid, own.gid)
}

// openStore opens the Ferrymail store for loading: fsync off (a benchmark
// load; the server reopens it with fsync on).
func openStore(ctx context.Context, dir string) (*store.Store, error) {
	return store.Open(ctx, dir, store.Options{NoSync: true, GCInterval: -1,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
}
