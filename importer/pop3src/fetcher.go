package pop3src

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"

	"github.com/ferrymail/ferrymail/importer/spool"
)

// Fetching ahead. The importer asks for one message at a time (Open) and
// writes them to the store in batches; reading each RETR only when asked
// would leave the connection idle while the store writes, and pay a round
// trip per message. A fetcher goroutine therefore owns the connection and
// reads messages in listing order, up to fetchAhead messages (and
// fetchAheadBytes of LIST sizes) before the importer asks for them; with
// RFC 2449 PIPELINING advertised it sends up to pipelineDepth RETRs before
// reading the first answer (RFC 2449 §6.6: "the client MAY elect to
// transmit several commands at once").
//
// It fetches ahead only while the importer imports: a message the
// importer skips (imported by an earlier run: the delta of a cut-over)
// turns fetching ahead off until the importer opens one again, so that a
// re-run does not download the mailbox again to throw it away.
//
// Memory stays bounded: each fetched message waits in a spool that keeps
// at most spoolMem in memory (larger ones go to a file), so at most
// fetchAhead × spoolMem bytes are held.
//
// Lock order: fetcher.mu only; no I/O is done while holding it.

const (
	fetchAhead      = 32       // messages fetched before the importer asks for them
	fetchAheadBytes = 32 << 20 // and their LIST sizes summed, beyond the one asked for
	pipelineDepth   = 16       // RETRs in flight at once on a PIPELINING server
)

type fetched struct {
	sp  *spool.Body
	err error
}

type fetcher struct {
	s      *Source
	ctx    context.Context
	cancel context.CancelFunc
	exited chan struct{}

	mu    sync.Mutex
	cond  *sync.Cond
	limit int // fetch messages with listing index below limit
	next  int // the next index to fetch in order
	floor int // messages below it are not wanted (skipped): dropped when they arrive
	// refetch lists messages opened a second time (the importer retries
	// a message alone when its batch was refused), fetched before the
	// others, one at a time.
	refetch   []int
	results   map[int]fetched
	heldBytes int64
	stop      bool
	dirty     bool  // stopped in the middle of an answer: the connection is unusable
	fatal     error // the connection is lost for good
	conn      *client
}

// startFetcher starts the goroutine at listing index first; it takes over
// s.c.
func (s *Source) startFetcher(ctx context.Context, first int) *fetcher {
	f := &fetcher{s: s, results: map[int]fetched{}, exited: make(chan struct{}), conn: s.c, next: first, floor: first}
	f.ctx, f.cancel = context.WithCancel(ctx)
	f.cond = sync.NewCond(&f.mu)
	// Stopping (Close, or the import cancelled) ends a read that waits
	// for the server, and wakes Open.
	context.AfterFunc(f.ctx, func() {
		f.mu.Lock()
		if f.conn != nil {
			f.conn.conn.Close()
		}
		f.stop = true
		f.cond.Broadcast()
		f.mu.Unlock()
	})
	go f.loop()
	return f
}

// get returns message i, fetching it (and, while the importer imports,
// the ones after it) if not fetched yet.
func (f *fetcher) get(i int) (*spool.Body, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.results[i]; !ok && i < f.next && !slices.Contains(f.refetch, i) {
		f.refetch = append(f.refetch, i)
	}
	f.limit = max(f.limit, i+1+fetchAhead)
	f.cond.Broadcast()
	for {
		if r, ok := f.results[i]; ok {
			f.take(i)
			return r.sp, r.err
		}
		if f.fatal != nil {
			return nil, f.fatal
		}
		if f.stop {
			return nil, fmt.Errorf("reading message %d: %w", f.s.listed[i].n, context.Cause(f.ctx))
		}
		f.cond.Wait()
	}
}

// take removes result i; f.mu is held.
func (f *fetcher) take(i int) fetched {
	r := f.results[i]
	delete(f.results, i)
	if r.sp != nil {
		f.heldBytes -= f.s.sizes[f.s.listed[i].key]
	}
	f.cond.Broadcast()
	return r
}

// skipped says that the importer did not open message i (and will not):
// its fetched copy, if any, is dropped, and fetching ahead stops until the
// importer opens one again.
func (f *fetcher) skipped(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.floor = max(f.floor, i+1)
	f.next = max(f.next, f.floor)
	f.limit = f.next
	if _, ok := f.results[i]; ok {
		if r := f.take(i); r.sp != nil {
			r.sp.Close()
		}
	}
}

// close stops the goroutine and drops what it fetched. It reports whether
// the connection can still be used (for QUIT).
func (f *fetcher) close() bool {
	f.mu.Lock()
	idle := (f.next >= min(f.limit, len(f.s.listed)) && len(f.refetch) == 0) || f.fatal != nil
	f.stop = true
	if idle {
		// Nothing in flight: the connection stays usable (for QUIT).
		f.conn = nil
	}
	f.cond.Broadcast()
	f.mu.Unlock()
	f.cancel() // closes a connection in use: the answer being read is abandoned
	<-f.exited
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.results {
		if r.sp != nil {
			r.sp.Close()
		}
		delete(f.results, i)
	}
	return idle && !f.dirty && f.fatal == nil
}

// failure returns the error that ended the fetching for good, if any.
func (f *fetcher) failure() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fatal
}

// loop fetches until stopped.
func (f *fetcher) loop() {
	defer close(f.exited)
	for {
		f.mu.Lock()
		for !f.stop && f.fatal == nil && !f.canFetch() {
			f.cond.Wait()
		}
		if f.stop || f.fatal != nil {
			f.mu.Unlock()
			return
		}
		batch := f.plan()
		f.mu.Unlock()

		got, err := f.s.retrBatch(f.ctx, batch)
		f.mu.Lock()
		for k, r := range got {
			f.deliver(batch[k], r)
		}
		f.mu.Unlock()
		if err == nil {
			continue
		}
		// The connection broke on batch[len(got)].
		if f.ctx.Err() != nil {
			f.mu.Lock()
			f.dirty = true
			f.mu.Unlock()
			return
		}
		if ferr := f.recover(batch[len(got)], err); ferr != nil {
			f.mu.Lock()
			f.fatal = ferr
			f.cond.Broadcast()
			f.mu.Unlock()
			return
		}
	}
}

// deliver stores the result for message i; f.mu is held.
func (f *fetcher) deliver(i int, r fetched) {
	if k := slices.Index(f.refetch, i); k >= 0 {
		f.refetch = slices.Delete(f.refetch, k, k+1)
	} else {
		f.next = max(f.next, i+1)
		if i < f.floor {
			// Skipped while it was on its way.
			if r.sp != nil {
				r.sp.Close()
			}
			return
		}
	}
	if old, ok := f.results[i]; ok && old.sp != nil {
		f.take(i)
		old.sp.Close()
	}
	f.results[i] = r
	if r.sp != nil {
		f.heldBytes += f.s.sizes[f.s.listed[i].key]
	}
	f.cond.Broadcast()
}

// canFetch: a message opened again, or one wanted (below limit) with room
// for it. The next message is always allowed when nothing fetched is held,
// as the importer may be waiting for it.
func (f *fetcher) canFetch() bool {
	if len(f.refetch) > 0 {
		return true
	}
	if f.next >= f.limit || f.next >= len(f.s.listed) {
		return false
	}
	return len(f.results) == 0 || (len(f.results) < fetchAhead && f.heldBytes < fetchAheadBytes)
}

// plan picks the next batch: a message opened again alone; else the next
// message, and on a PIPELINING server up to pipelineDepth within the
// limits.
func (f *fetcher) plan() []int {
	if len(f.refetch) > 0 {
		return []int{f.refetch[0]}
	}
	batch := []int{f.next}
	if _, ok := f.s.c.capa["PIPELINING"]; !ok {
		return batch
	}
	bytes := f.heldBytes + f.s.sizes[f.s.listed[f.next].key]
	for j := f.next + 1; j < f.limit && j < len(f.s.listed) && len(batch) < pipelineDepth; j++ {
		if len(f.results)+len(batch) >= fetchAhead || bytes+f.s.sizes[f.s.listed[j].key] > fetchAheadBytes {
			break
		}
		bytes += f.s.sizes[f.s.listed[j].key]
		batch = append(batch, j)
	}
	return batch
}

// recover handles a connection lost while reading message i: it counts
// the attempt (a message that breaks the connection every time is given up
// as failed), and opens a new connection.
func (f *fetcher) recover(i int, err error) error {
	s := f.s
	e := s.listed[i]
	s.warn(fmt.Sprintf("connection lost during RETR %d (UIDL %s): %v", s.current[e.key], e.uidl, err))
	s.c.close()
	s.c = nil
	f.mu.Lock()
	f.conn = nil
	f.mu.Unlock()
	if s.tries[e.key] >= triesPerMessage {
		f.mu.Lock()
		f.deliver(i, fetched{err: fmt.Errorf("the connection dropped %d times while reading it: %w", s.tries[e.key], err)})
		f.mu.Unlock()
	}
	if err := s.reconnect(f.ctx); err != nil {
		return err
	}
	f.mu.Lock()
	f.conn = s.c
	f.mu.Unlock()
	if f.ctx.Err() != nil {
		// Stopped while connecting: the AfterFunc found no connection.
		s.c.close()
		return f.ctx.Err()
	}
	return nil
}

// retrBatch fetches the listed messages at indexes batch, in order, on the
// current connection: each gives a spool or its own error (-ERR, or gone
// from the server since the listing). It stops at the first I/O error,
// returning what it got before and the error, with the connection unusable.
func (s *Source) retrBatch(ctx context.Context, batch []int) ([]fetched, error) {
	// Message numbers on this connection; a message gone since the
	// listing is answered here without a command.
	nums := make([]int, len(batch))
	var send []int
	for k, i := range batch {
		n, ok := s.current[s.listed[i].key]
		if ok {
			nums[k] = n
			send = append(send, n)
		}
	}
	for _, n := range send {
		s.c.deadline()
		if _, err := s.c.w.WriteString("RETR " + strconv.Itoa(n) + "\r\n"); err != nil {
			return nil, fmt.Errorf("RETR: %w", err)
		}
	}
	if err := s.c.w.Flush(); err != nil {
		return nil, fmt.Errorf("RETR: %w", err)
	}
	var out []fetched
	for k, i := range batch {
		e := s.listed[i]
		if nums[k] == 0 {
			out = append(out, fetched{err: fmt.Errorf("UIDL %q is no longer on the server (deleted at the source since the listing)", e.uidl)})
			continue
		}
		s.tries[e.key]++
		if _, err := s.c.status("RETR"); err != nil {
			var perr *Error
			if errors.As(err, &perr) {
				out = append(out, fetched{err: err})
				continue
			}
			return out, err
		}
		sp, err := s.spoolMessage(nums[k], e, &deadlineReader{c: s.c, r: s.c.r.DotReader()})
		if err != nil {
			// Reading the answer, or the local spool, failed part way:
			// the rest of the answer is unread, the connection unusable.
			return out, err
		}
		out = append(out, fetched{sp: sp})
		if ctx.Err() != nil && k < len(batch)-1 {
			return out, ctx.Err()
		}
	}
	return out, nil
}

// spoolMessage reads one RETR answer into a spool and checks its size
// against LIST.
func (s *Source) spoolMessage(n int, e listed, r io.Reader) (*spool.Body, error) {
	sp := newSpool(s.o.SpoolDir)
	wc := &wireCounter{r: r}
	if _, err := io.Copy(sp, wc); err != nil {
		sp.Close()
		return nil, err
	}
	if err := sp.Ready(); err != nil {
		sp.Close()
		return nil, fmt.Errorf("spooling RETR %d: %w", n, err)
	}
	// The wire size: DotReader gave each CRLF as LF.
	if want, ok := s.sizes[e.key]; ok && wc.wire != want {
		s.warn(fmt.Sprintf("RETR %d (UIDL %s) gave %d octets, LIST said %d: the octets received are stored", n, e.uidl, wc.wire, want))
	}
	return sp, nil
}
