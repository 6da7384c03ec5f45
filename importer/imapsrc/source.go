// Package imapsrc is the importer's source for a live IMAP4rev1 (RFC 3501)
// or IMAP4rev2 (RFC 9051) server. It keeps what IMAP clients cached:
// every mailbox's UIDVALIDITY and UIDNEXT, every message's UID, flags and
// keywords and INTERNALDATE, subscriptions (LSUB, or LIST (SUBSCRIBED),
// RFC 5258) and RFC 6154 special-use attributes, so that clients moved to
// Ferrymail download nothing again.
//
// The source is never changed: mailboxes are opened with EXAMINE, bodies
// are read with BODY.PEEK[] (RFC 9051 §6.4.5), and only standard commands
// are sent (client.go lists them). Each message's SourceKey is
// "imap:UIDVALIDITY/UID", so a re-run (the delta of a cut-over) fetches
// only the messages not imported yet, and brings flag changes across.
//
// How messages are read: one UID FETCH 1:* (UID FLAGS INTERNALDATE
// RFC822.SIZE) per mailbox lists them cheaply; the importer then asks for
// the bodies of the messages it imports (Message.Open), which this source
// fetches with UID FETCH set (UID BODY.PEEK[]) in batches that grow while
// consecutive messages are asked for and start again at one after a
// message the importer skipped (it had it already), bounded by
// Options.BatchCount and Options.BatchBytes. Bodies larger than 1 MiB are
// spooled to an unlinked temporary file (importer/spool), so large messages
// never sit whole in memory.
//
// Tolerance of legacy servers (the response reader in wire.go says why it
// is written here rather than taken from go-imap's imapclient):
//   - unknown untagged responses and unknown FETCH items are skipped;
//   - FETCH items may come in any order (UID after the body literal);
//   - mailbox names that are not valid modified UTF-7 are taken as UTF-8
//     or Latin-1, with a warning (list.go);
//   - the bytes received count, not RFC822.SIZE (a difference is a
//     warning);
//   - a NO or BAD for a batch, a NIL body or a missing message is retried
//     for that message alone with BODY.PEEK[], then BODY.PEEK[HEADER] and
//     BODY.PEEK[TEXT]; a message that fails every way is reported and the
//     others go on;
//   - missing UIDVALIDITY or UIDNEXT in EXAMINE are asked with STATUS;
//   - a dropped connection, a BYE, or throttling (NO [UNAVAILABLE],
//     [LIMIT], [INUSE], RFC 5530) closes the connection; a new one is
//     opened after a pause that doubles (Options.Backoff, a bounded number
//     of attempts), the mailbox is examined again (its UIDVALIDITY must
//     not have changed) and the import resumes by UID.
//
// Mailboxes are read one after the other over one connection: the
// importer (importer.Run) imports mailbox by mailbox, and many accounts
// are imported in parallel by running several imports, which is where
// parallelism pays.
//
// MODSEQ: on a CONDSTORE server (RFC 7162) the listing reads each
// message's MODSEQ and EXAMINE the mailbox's HIGHESTMODSEQ
// (MessageMeta.ModSeq, MailboxStatus.HighestModSeq); they are passed on
// as importer.Message.ModSeq and importer.Mailbox.HighestModSeq, and the
// store keeps them (raising a MODSEQ that is not above the target's).
package imapsrc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/remote"
	"github.com/ferrymail/ferrymail/importer/spool"
	"github.com/ferrymail/ferrymail/store"
)

// Defaults for Options' zero values.
const (
	DefaultTimeout    = 2 * time.Minute // one read or write; a silent server is a lost connection
	DefaultAttempts   = 5               // connections tried in a row before the import gives up
	DefaultBackoff    = time.Second     // the first pause before connecting again; it doubles up to maxBackoff
	maxBackoff        = 30 * time.Second
	DefaultBatchCount = 50       // bodies per UID FETCH
	DefaultBatchBytes = 16 << 20 // RFC822.SIZE per UID FETCH: what a batch may hold in memory and spool
	// triesPerMessage bounds how often one message is fetched when the
	// connection drops while it is read: a message that crashes the server
	// every time is reported, the others go on.
	triesPerMessage = 3
)

// Options say which server and account to read, and which mailboxes.
type Options struct {
	Addr               string // host:port
	User, Password     string
	TLS                remote.TLSMode
	InsecureSkipVerify bool          // accept any certificate (self-signed legacy servers)
	Timeout            time.Duration // per read or write; 0: DefaultTimeout
	Attempts           int           // 0: DefaultAttempts
	Backoff            time.Duration // 0: DefaultBackoff
	// SpoolDir holds message bodies larger than 1 MiB while they wait for
	// their batch; "" is os.TempDir().
	SpoolDir string
	// Include and Exclude select mailboxes by their UTF-8 names with "/"
	// between levels (Match syntax: "*" any characters, "%" any within a
	// level). No Include means all; Exclude wins.
	Include, Exclude []string
	// Rename maps a source mailbox (its UTF-8 "/" name or its name as the
	// server spells it, "INBOX.Sent") to a target name; its children
	// follow ("Old/x" → "New/x").
	Rename map[string]string
	// BatchCount and BatchBytes bound one body fetch; 0: the defaults.
	BatchCount int
	BatchBytes int64
	// Dial opens the TCP connection; nil is net.Dialer.DialContext.
	Dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	Logger *slog.Logger // nil: discard
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.BatchCount <= 0 {
		o.BatchCount = DefaultBatchCount
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Source reads the mailboxes of one IMAP account.
type Source struct {
	o       Options
	c       *Client
	sel     *selected // the mailbox being read, examined again after a reconnect
	dropped bool      // the last connection was lost: pause before the next
	wait    time.Duration
	warns   []string
	fatal   error // connecting failed Attempts times: the run ends
	streak  int   // commands lost in a row (throttling, drops), across messages
	curUV   uint32
	// connects counts connections: sequence numbers of a listing hold
	// only on the connection that made it.
	connects int
}

type selected struct {
	raw string
	uv  uint32
}

// boxInfo is importer.Mailbox.Private.
type boxInfo struct {
	raw    string
	exists uint32
	err    error // EXAMINE failed while listing
}

var (
	_ importer.Source      = (*Source)(nil)
	_ importer.StoredKeyer = (*Source)(nil)
)

// New returns a source for o; it connects when the importer asks for the
// mailboxes.
func New(o Options) *Source {
	o.defaults()
	return &Source{o: o, wait: o.Backoff}
}

func (s *Source) name() string { return "imap://" + s.o.User + "@" + s.o.Addr }

func (s *Source) warn(w string) {
	s.o.Logger.Warn("imap source", "server", s.o.Addr, "warning", w)
	s.warns = append(s.warns, s.name()+": "+w)
}

func (s *Source) takeWarnings() []string {
	w := s.warns
	s.warns = nil
	return w
}

// StoredKey is the SourceKey a message of the mailbox being read had when
// it was imported under its source UID (importer.Options.ExpungeMissing
// checks it against the store's record, so that mail delivered to
// Ferrymail itself is never taken for it).
func (s *Source) StoredKey(m *store.Message) string {
	return sourceKey(s.curUV, uint32(m.UID))
}

func sourceKey(uv, uid uint32) string { return fmt.Sprintf("imap:%d/%d", uv, uid) }

// Close logs out.
func (s *Source) Close() error {
	if s.c != nil {
		s.c.Logout()
		s.c = nil
	}
	return nil
}

// do runs op on the connection, opening one when there is none. A lost
// connection (connLost: also a throttling NO) is opened again after a
// pause that doubles until the server answers a command again; op is run
// again up to drops times in all. The whole source fails (s.fatal) after
// Options.Attempts failed connections in a row, or 3×Attempts commands
// lost in a row.
func (s *Source) do(ctx context.Context, drops int, op func(*Client) error) error {
	dialFails, opDrops := 0, 0
	for {
		if s.fatal != nil {
			return s.fatal
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.c == nil {
			if s.dropped {
				if err := s.pause(ctx); err != nil {
					return err
				}
			}
			err := s.connect(ctx)
			if err != nil {
				if !connLost(err) || ctx.Err() != nil {
					return err
				}
				s.dropped = true
				if dialFails++; dialFails >= s.o.Attempts {
					s.fatal = fmt.Errorf("connection to %s lost and %d attempts to open it again failed, the last: %w (run the import again to resume)",
						s.o.Addr, dialFails, err)
					return s.fatal
				}
				s.o.Logger.Warn("imap source: reconnecting", "server", s.o.Addr, "attempt", dialFails, "err", err)
				continue
			}
			if s.dropped {
				s.warn("connected again; resuming by UID")
			}
			s.dropped = false
		}
		err := op(s.c)
		if !connLost(err) || ctx.Err() != nil {
			// The server answered: the pause starts small again.
			s.wait, s.streak = s.o.Backoff, 0
			return err
		}
		s.warn(fmt.Sprintf("connection closed: %v", err))
		s.c.Close()
		s.c, s.dropped = nil, true
		if s.streak++; s.streak >= 3*s.o.Attempts {
			// Throttled or dropped every time, message after message:
			// the server is not going to serve this import now.
			s.fatal = fmt.Errorf("%s dropped or refused %d commands in a row, the last: %w (run the import again later to resume)", s.o.Addr, s.streak, err)
			return s.fatal
		}
		if opDrops++; opDrops >= drops {
			return err
		}
	}
}

// pause waits before connecting again, twice as long each time.
func (s *Source) pause(ctx context.Context) error {
	t := time.NewTimer(s.wait)
	defer t.Stop()
	s.wait = min(2*s.wait, maxBackoff)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errUIDValidityChanged ends a mailbox whose UIDVALIDITY changed while it
// was read: the UIDs fetched so far mean other messages now.
var errUIDValidityChanged = errors.New("UIDVALIDITY changed at the source")

// connect dials and examines the mailbox being read again.
func (s *Source) connect(ctx context.Context) error {
	c, err := Dial(ctx, s.o)
	if err != nil {
		return err
	}
	if s.sel != nil {
		st, err := c.Examine(s.sel.raw)
		if err != nil {
			c.Close()
			return err
		}
		if st.UIDValidity != s.sel.uv {
			c.Close()
			s.fatal = fmt.Errorf("%w: %q went from %d to %d during the import (run it again)", errUIDValidityChanged, s.sel.raw, s.sel.uv, st.UIDValidity)
			return s.fatal
		}
	}
	s.c = c
	s.connects++
	return nil
}

// Mailboxes lists the account's mailboxes and examines each for its
// UIDVALIDITY and UIDNEXT.
func (s *Source) Mailboxes(ctx context.Context) ([]importer.Mailbox, error) {
	var listed []ListedMailbox
	var warns []string
	err := s.do(ctx, s.o.Attempts, func(c *Client) error {
		var err error
		listed, warns, err = c.List()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing the mailboxes of %s: %w", s.name(), err)
	}
	for _, w := range warns {
		s.warn(w)
	}
	notes := guessSpecialUse(listed)
	var out []importer.Mailbox
	targets := map[string]string{}
	for _, lm := range listed {
		if lm.NoSelect || !s.selectedByName(lm.Name) {
			continue
		}
		target := s.rename(lm)
		mb := importer.Mailbox{Name: target, SourceName: s.name() + "/" + lm.Raw, SpecialUse: lm.SpecialUse,
			Subscribed: lm.Subscribed, Warnings: lm.Warnings}
		if prev, dup := targets[target]; dup {
			mb.Warnings = append(mb.Warnings, fmt.Sprintf("%s: %q and %q both map to %q", s.name(), prev, lm.Raw, target))
		}
		targets[target] = lm.Raw
		info := &boxInfo{raw: lm.Raw}
		var st MailboxStatus
		err := s.do(ctx, s.o.Attempts, func(c *Client) error {
			var err error
			st, err = c.Examine(lm.Raw)
			return err
		})
		if s.fatal != nil || ctx.Err() != nil {
			return nil, fmt.Errorf("examining %q at %s: %w", lm.Raw, s.name(), err)
		}
		if err != nil {
			info.err = fmt.Errorf("EXAMINE %q: %w", lm.Raw, err)
		}
		mb.UIDValidity, mb.UIDNext, info.exists = st.UIDValidity, store.UID(st.UIDNext), st.Exists
		mb.HighestModSeq = st.HighestModSeq
		mb.Notes = append(mb.Notes, fmt.Sprintf("IMAP server %s, mailbox %q: UIDVALIDITY %d, UIDNEXT %d, %d messages", s.o.Addr, lm.Raw, st.UIDValidity, st.UIDNext, st.Exists))
		if len(st.FromStatus) > 0 {
			mb.Notes = append(mb.Notes, fmt.Sprintf("EXAMINE gave no %s: taken from STATUS", strings.Join(st.FromStatus, ", ")))
		}
		if err == nil && st.UIDValidity == 0 {
			mb.Warnings = append(mb.Warnings, fmt.Sprintf("%s: %q has no UIDVALIDITY (neither EXAMINE nor STATUS gave one): its UIDs are kept, under the target's UIDVALIDITY", s.name(), lm.Raw))
		}
		mb.Warnings = append(mb.Warnings, s.takeWarnings()...)
		mb.Private = info
		out = append(out, mb)
	}
	if len(out) > 0 {
		out[0].Notes = append(out[0].Notes, notes...)
	}
	// Parents before children (the importer's contract): "a" < "a b" < "a/b".
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Name == store.InboxName) != (out[j].Name == store.InboxName) {
			return out[i].Name == store.InboxName
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Messages examines the mailbox and lists its messages.
func (s *Source) Messages(ctx context.Context, mb *importer.Mailbox) (importer.MessageIter, error) {
	info, ok := mb.Private.(*boxInfo)
	if !ok {
		return nil, fmt.Errorf("mailbox %q is not from this source", mb.SourceName)
	}
	if info.err != nil {
		return nil, info.err
	}
	s.sel = nil
	var st MailboxStatus
	err := s.do(ctx, s.o.Attempts, func(c *Client) error {
		var err error
		st, err = c.Examine(info.raw)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("EXAMINE %q: %w", info.raw, err)
	}
	if mb.UIDValidity != 0 && st.UIDValidity != mb.UIDValidity {
		return nil, fmt.Errorf("%w: %q went from %d to %d since it was listed (run the import again)", errUIDValidityChanged, info.raw, mb.UIDValidity, st.UIDValidity)
	}
	s.sel, s.curUV = &selected{raw: info.raw, uv: st.UIDValidity}, st.UIDValidity
	metas, err := s.listMessages(ctx, st.Exists)
	if err != nil {
		return nil, fmt.Errorf("listing the messages of %q: %w", info.raw, err)
	}
	mb.Warnings = append(mb.Warnings, s.takeWarnings()...)
	it := &iter{s: s, ctx: ctx, box: info.raw, metas: metas, seqUID: map[uint32]uint32{},
		cache: map[uint32]*spool.Body{}, run: 1, lastOpen: -2, conn: s.connects}
	for _, m := range metas {
		it.seqUID[m.Seq] = m.UID
	}
	return it, nil
}

// listMessages is FetchMeta, asking for less when the server refuses the
// full set of items (a message with a broken date or size).
func (s *Source) listMessages(ctx context.Context, exists uint32) ([]MessageMeta, error) {
	var metas []MessageMeta
	var err error
	for _, items := range []string{"UID FLAGS INTERNALDATE RFC822.SIZE", "UID FLAGS INTERNALDATE", "UID FLAGS"} {
		err = s.do(ctx, s.o.Attempts, func(c *Client) error {
			var err error
			metas, err = c.fetchMeta(exists, c.metaItems(items))
			return err
		})
		var perr *Error
		if !errors.As(err, &perr) {
			break
		}
		s.warn(fmt.Sprintf("UID FETCH 1:* %s: %v; asking for less", items, err))
	}
	return metas, err
}
