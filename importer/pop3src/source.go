// Package pop3src is the importer's source for a live POP3 server (RFC
// 1939, 2449, 2595, 5034): it reads the one mailbox POP3 has, INBOX, and
// keeps what POP3 clients cached, each message's UIDL, byte for byte.
//
// It sends only standard commands and never DELE, so the source is left as
// it was. POP3 has no UIDs, UIDVALIDITY or flags: the target INBOX keeps its
// UIDVALIDITY, messages take UIDs above its UIDNEXT in POP3 order (the
// importer's rule for messages without a source UID), and their flags are
// left alone (Message.FlagsUnknown), so a re-run does not clear \Seen on
// mail read in Ferrymail meanwhile. Each message's SourceKey is "pop3:" +
// its UIDL, so a re-run (the delta of a cut-over) brings only new messages.
//
// Tolerance: a server without CAPA is fine; lines in a UIDL or LIST answer
// that are not "n value" are skipped with a warning; a message whose RETR
// gives another size than LIST said is stored as received, with a warning;
// a connection lost mid-run is opened again with back-off (a bounded number
// of attempts) and the run resumes by UIDL, as message numbers may have
// changed. A server without UIDL is refused: without the UIDLs, every POP3
// client would download the mailbox again, which is what this is for.
//
// Messages are fetched ahead of the importer by a goroutine, with RETRs
// pipelined where the server offers RFC 2449 PIPELINING (fetcher.go).
// AttachUIDLs (attach.go) imports nothing: it gives INBOX messages imported
// over IMAP the UIDLs this server lists for the same messages.
package pop3src

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/remote"
	"github.com/ferrymail/ferrymail/store"
)

// Defaults for Options' zero values.
const (
	DefaultTimeout  = 2 * time.Minute // one read or write; a stuck server is a lost connection
	DefaultAttempts = 5               // connection attempts after a drop, before the import gives up
	DefaultBackoff  = time.Second     // the first wait between attempts; it doubles up to maxBackoff
	maxBackoff      = 30 * time.Second
	// triesPerMessage bounds how often one message is fetched when the
	// connection drops during its RETR (a message that crashes the server
	// every time is named as not imported, the others go on).
	triesPerMessage = 3
)

// Options say which server and account to read.
type Options struct {
	Addr               string // host:port
	User, Password     string
	TLS                remote.TLSMode
	InsecureSkipVerify bool          // accept any certificate (self-signed legacy servers)
	Timeout            time.Duration // per read or write; 0: DefaultTimeout
	Attempts           int           // 0: DefaultAttempts
	Backoff            time.Duration // 0: DefaultBackoff
	// SpoolDir holds messages larger than spoolMem while they wait for
	// their batch; "" is os.TempDir().
	SpoolDir string
	// Dial opens the TCP connection; nil is net.Dialer.DialContext.
	Dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	Logger *slog.Logger // nil: discard
}

// Source reads one POP3 maildrop.
type Source struct {
	o       Options
	c       *client
	listed  []listed         // the first UIDL listing, in message-number order
	current map[string]int   // listed.key → message number on the current connection
	wmu     sync.Mutex       // guards warns: the fetcher goroutine warns too
	warns   []string         // warnings not yet handed to the report
	tries   map[string]int   // listed.key → RETR attempts
	sizes   map[string]int64 // listed.key → LIST size of the first listing
}

type listed struct {
	n    int
	uidl string
	// key tells the message apart within the listing: its UIDL, and for
	// the k-th message repeating a UIDL (a broken server), UIDL#k.
	key string
}

var (
	_ importer.Source      = (*Source)(nil)
	_ importer.StoredKeyer = (*Source)(nil)
)

// StoredKey is the SourceKey a message imported from a POP3 server has.
// The importer checks it against the store's record of imported keys, so
// a native message with the same UIDL is not mistaken for an imported one.
func (s *Source) StoredKey(m *store.Message) string {
	if m.UIDL == "" {
		return ""
	}
	return "pop3:" + m.UIDL
}

// New returns a source for o; it connects when the importer asks for the
// mailboxes.
func New(o Options) *Source {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Source{o: o, tries: map[string]int{}}
}

func (s *Source) name() string { return "pop3://" + s.o.User + "@" + s.o.Addr }

func (s *Source) warn(w string) {
	s.o.Logger.Warn("pop3 source", "server", s.o.Addr, "warning", w)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.warns = append(s.warns, s.name()+": "+w)
}

func (s *Source) takeWarnings() []string {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	w := s.warns
	s.warns = nil
	return w
}

// Mailboxes connects, logs in and lists the maildrop (UIDL and LIST). The
// one mailbox is INBOX.
func (s *Source) Mailboxes(ctx context.Context) ([]importer.Mailbox, error) {
	c, err := dial(ctx, &s.o, s.warn)
	if err != nil {
		return nil, err
	}
	s.c = c
	ul, sizes, err := s.list()
	if err != nil {
		s.Close()
		return nil, err
	}
	s.sizes = map[string]int64{}
	for _, e := range sizes {
		s.sizes[e.key] = e.size
	}
	for _, e := range ul {
		if e.key != e.uidl {
			// RFC 1939 §7 requires unique UIDLs; a broken server repeats
			// one: the later message gets a SourceKey of its own (and the
			// importer, finding the UIDL taken, one from the template).
			s.warn(fmt.Sprintf("message %d repeats UIDL %q", e.n, e.uidl))
		}
		s.listed = append(s.listed, e)
	}
	notes := []string{fmt.Sprintf("POP3 server %s: %d messages listed by UIDL; POP3 has no UIDs or flags, so messages take UIDs above UIDNEXT in POP3 order and keep their UIDLs", s.o.Addr, len(ul))}
	if s.c.capa == nil {
		notes = append(notes, "the server does not answer CAPA (RFC 1939 only)")
	}
	return []importer.Mailbox{{Name: "INBOX", SourceName: s.name(), Notes: notes, Warnings: s.takeWarnings()}}, nil
}

type sized struct {
	key  string
	size int64
}

// list reads UIDL and LIST on the current connection and makes the
// UIDL → number map.
func (s *Source) list() ([]listed, []sized, error) {
	ul, err := s.c.listing("UIDL")
	var perr *Error
	if errors.As(err, &perr) {
		return nil, nil, fmt.Errorf("%s does not list UIDLs (RFC 1939 §7 UIDL: -ERR %s): without them every POP3 client would download "+
			"the mailbox again after the move, so nothing was imported (import the server's files instead, with their UIDL scheme)",
			s.o.Addr, perr.Text)
	}
	if err != nil {
		return nil, nil, err
	}
	ls, err := s.c.listing("LIST")
	if err != nil {
		return nil, nil, err
	}
	byNum := map[int]int64{}
	for _, e := range ls {
		size, err := strconv.ParseInt(e.arg, 10, 64)
		if err != nil {
			s.warn(fmt.Sprintf("LIST: message %d has size %q, not a number", e.n, e.arg))
			continue
		}
		byNum[e.n] = size
	}
	s.current = map[string]int{}
	out := make([]listed, 0, len(ul))
	var sizes []sized
	occ := map[string]int{}
	for _, e := range ul {
		key := e.arg
		if occ[e.arg]++; occ[e.arg] > 1 {
			key += "#" + strconv.Itoa(occ[e.arg])
		}
		s.current[key] = e.n
		out = append(out, listed{n: e.n, uidl: e.arg, key: key})
		if sz, ok := byNum[e.n]; ok {
			sizes = append(sizes, sized{key, sz})
		}
	}
	return out, sizes, nil
}

// Messages iterates over the first listing. Messages are fetched by a
// fetcher goroutine (fetcher.go), started at the first Open.
func (s *Source) Messages(ctx context.Context, mb *importer.Mailbox) (importer.MessageIter, error) {
	return &iter{s: s, ctx: ctx, opened: -1}, nil
}

// Close ends the session with QUIT (nothing is deleted: no DELE was sent).
func (s *Source) Close() error {
	if s.c != nil {
		s.c.quit()
		s.c = nil
	}
	return nil
}

type iter struct {
	s      *Source
	ctx    context.Context
	i      int
	f      *fetcher // nil until the first Open
	opened int      // the last index opened
}

func (it *iter) Next() (*importer.Message, error) {
	s := it.s
	if it.f != nil {
		if err := it.f.failure(); err != nil {
			return nil, err
		}
		if it.i > 0 && it.opened != it.i-1 {
			// The importer skipped the previous message (imported
			// before): no fetching ahead for now.
			it.f.skipped(it.i - 1)
		}
	}
	if it.i >= len(s.listed) {
		return nil, io.EOF
	}
	i := it.i
	e := s.listed[i]
	it.i++
	msg := &importer.Message{
		UIDL: e.uidl, UIDLFrom: "POP3 UIDL", POP3Order: uint32(e.n), SourceKey: "pop3:" + e.key,
		Where:        fmt.Sprintf("%s message %d (UIDL %s)", s.name(), e.n, e.uidl),
		FlagsUnknown: true,
		Warnings:     s.takeWarnings(),
	}
	msg.Open = func() (io.ReadCloser, error) {
		if it.f == nil {
			it.f = s.startFetcher(it.ctx, i)
		}
		it.opened = i
		sp, err := it.f.get(i)
		msg.Warnings = append(msg.Warnings, s.takeWarnings()...)
		if err != nil {
			return nil, err
		}
		return sp, nil
	}
	return msg, nil
}

// Close stops the fetcher; the session ends with QUIT when the connection
// is in order, else it is just closed.
func (it *iter) Close() error {
	if it.f != nil {
		if !it.f.close() && it.s.c != nil {
			it.s.c.close()
			it.s.c = nil
		}
		it.f = nil
	}
	return it.s.Close()
}

// reconnect opens a new session with back-off and lists the maildrop again,
// since message numbers are per session (RFC 1939 §7).
func (s *Source) reconnect(ctx context.Context) error {
	wait := s.o.Backoff
	var last error
	for a := 1; a <= s.o.Attempts; a++ {
		c, err := dial(ctx, &s.o, s.warn)
		if err == nil {
			s.c = c
			if _, _, err = s.list(); err == nil {
				s.warn(fmt.Sprintf("connected again (attempt %d); resuming by UIDL", a))
				return nil
			}
			c.close()
			s.c = nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		last = err
		s.o.Logger.Warn("pop3 source: reconnecting", "server", s.o.Addr, "attempt", a, "err", err)
		if a == s.o.Attempts {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, maxBackoff)
	}
	return fmt.Errorf("connection to %s lost and %d attempts to open it again failed, the last: %w (run the import again to resume)", s.o.Addr, s.o.Attempts, last)
}
