package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// dialTimeout bounds connecting to the server.
const dialTimeout = 10 * time.Second

// imapClient is one simulated IMAP client: its plan, its measurements and
// what it knows of the selected mailbox.
type imapClient struct {
	cfg  *Config
	cred Credential
	rec  *recorder
	plan *Plan
	pool [][]byte

	c       *imapclient.Client
	uids    []imap.UID // the mailbox's messages, as last seen; sorted
	deleted []imap.UID // marked \Deleted by this client since the last EXPUNGE
}

// dialIMAP connects as cfg says and waits for the greeting; the end of
// ctx interrupts it.
func dialIMAP(ctx context.Context, cfg *Config) (*imapclient.Client, error) {
	d := &net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	opts := &imapclient.Options{TLSConfig: cfg.tlsConfig()}
	var c *imapclient.Client
	switch cfg.TLS {
	case TLSImplicit:
		tc := tls.Client(conn, opts.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		c = imapclient.New(tc, opts)
	case TLSStartTLS:
		// NewStartTLS reads the greeting and sends STARTTLS.
		if c, err = imapclient.NewStartTLS(conn, opts); err != nil {
			conn.Close()
			return nil, err
		}
	default:
		c = imapclient.New(conn, opts)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// session is one connection: CONNECT, LOGIN, SELECT, FETCH-FLAGS, the
// mixed commands, LOGOUT.
func (w *imapClient) session(ctx context.Context) error {
	begin := time.Now()
	err := w.rec.do(ctx, OpConnect, func() error {
		c, err := dialIMAP(ctx, w.cfg)
		w.c = c
		return err
	})
	if err != nil {
		return err
	}
	// The end of the run closes the connection: a command waiting on the
	// server returns at once.
	stop := context.AfterFunc(ctx, func() { w.c.Close() })
	defer func() {
		stop()
		w.c.Close()
	}()
	if err := w.rec.do(ctx, OpLogin, func() error { return w.c.Login(w.cred.User, w.cred.Password).Wait() }); err != nil {
		return err
	}
	if err := w.rec.do(ctx, OpSelect, func() error { _, err := w.c.Select(w.cfg.Mailbox, nil).Wait(); return err }); err != nil {
		return err
	}
	w.deleted = w.deleted[:0]
	if err := w.rec.do(ctx, OpFetchFlags, w.fetchFlags); err != nil {
		return err
	}
	for range w.plan.SessionLength() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		step := w.plan.Next()
		var err error
		if step.Op == OpIdle {
			err = w.idle(ctx) // it records itself, without its wait
		} else {
			err = w.rec.do(ctx, step.Op, func() error { return w.run(step) })
		}
		if err != nil && isFatal(err) {
			return err
		}
	}
	if err := w.rec.do(ctx, OpLogout, func() error { return w.c.Logout().Wait() }); err != nil {
		return err
	}
	w.rec.ok(OpSession, begin)
	return nil
}

// isFatal tells whether an error ends the session: anything but a tagged
// NO or BAD, after which the connection is still usable.
func isFatal(err error) bool {
	var imapErr *imap.Error
	return !errors.As(err, &imapErr)
}

// run sends one planned command.
func (w *imapClient) run(s Step) error {
	switch s.Op {
	case OpFetchFlags:
		return w.fetchFlags()
	case OpFetchBody:
		return w.fetchBody(s)
	case OpStore:
		return w.store(s)
	case OpDelete:
		return w.markDeleted(s)
	case OpAppend:
		return w.append(s)
	case OpExpunge:
		return w.expunge()
	case OpNoop:
		return w.c.Noop().Wait()
	}
	return fmt.Errorf("no such operation %q", s.Op)
}

// pick returns the message a step's Pick selects, or false when the
// mailbox is empty.
func (w *imapClient) pick(s Step) (imap.UID, bool) {
	if len(w.uids) == 0 {
		return 0, false
	}
	return w.uids[int(s.Pick*float64(len(w.uids)))%len(w.uids)], true
}

// fetchFlags is UID FETCH 1:* (FLAGS), as a client resynchronising its
// cache sends it; it refreshes the list of UIDs.
func (w *imapClient) fetchFlags() error {
	cmd := w.c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true})
	w.uids = w.uids[:0]
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		buf, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return err
		}
		if buf.UID != 0 && !slices.Contains(buf.Flags, imap.FlagDeleted) {
			w.uids = append(w.uids, buf.UID)
		}
	}
	slices.Sort(w.uids)
	return cmd.Close()
}

// fetchBody is UID FETCH u (BODY.PEEK[]) of one message, read to the end.
func (w *imapClient) fetchBody(s Step) error {
	uid, ok := w.pick(s)
	if !ok {
		return w.c.Noop().Wait()
	}
	cmd := w.c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			if body, ok := item.(imapclient.FetchItemDataBodySection); ok && body.Literal != nil {
				n, err := io.Copy(io.Discard, body.Literal)
				w.rec.addBytes(n)
				if err != nil {
					cmd.Close()
					return err
				}
			}
		}
	}
	return cmd.Close()
}

// storeFlags are the flag changes STORE makes, chosen by Step.Alt.
var storeFlags = []imap.StoreFlags{
	{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}},
	{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagSeen}},
	{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}},
	{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagFlagged}},
}

// store is UID STORE u ±FLAGS (…), answered with the new flags (not
// .SILENT, as most clients send it).
func (w *imapClient) store(s Step) error {
	uid, ok := w.pick(s)
	if !ok {
		return w.c.Noop().Wait()
	}
	return w.c.Store(imap.UIDSetNum(uid), &storeFlags[s.Alt%len(storeFlags)], nil).Close()
}

// markDeleted is UID STORE u +FLAGS.SILENT (\Deleted); the message leaves
// this client's list at once.
func (w *imapClient) markDeleted(s Step) error {
	uid, ok := w.pick(s)
	if !ok {
		return w.c.Noop().Wait()
	}
	err := w.c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	if err == nil {
		w.uids = slices.DeleteFunc(w.uids, func(u imap.UID) bool { return u == uid })
		w.deleted = append(w.deleted, uid)
	}
	return err
}

// append APPENDs one message of the pool; with UIDPLUS (RFC 4315) the new
// UID joins the list.
func (w *imapClient) append(s Step) error {
	msg := w.pool[s.Alt%len(w.pool)]
	cmd := w.c.Append(w.cfg.Mailbox, int64(len(msg)), nil)
	if _, err := cmd.Write(msg); err != nil {
		cmd.Close()
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	data, err := cmd.Wait()
	if err != nil {
		return err
	}
	if data.UID != 0 {
		i, _ := slices.BinarySearch(w.uids, data.UID)
		w.uids = slices.Insert(w.uids, i, data.UID)
	}
	return nil
}

// expunge is EXPUNGE (RFC 9051 §6.4.3).
func (w *imapClient) expunge() error {
	err := w.c.Expunge().Close()
	if err == nil {
		w.deleted = w.deleted[:0]
	}
	return err
}

// idle is IDLE (RFC 2177), a wait of Config.IdleFor, DONE. The latency
// recorded is the two round trips (IDLE to its continuation, DONE to the
// tagged OK), without the wait.
func (w *imapClient) idle(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			w.rec.fail(ctx, OpIdle, err)
		}
	}()
	w.rec.pace(ctx)
	start := time.Now()
	cmd, err := w.c.Idle()
	if err != nil {
		return err
	}
	entered := time.Since(start)
	t := time.NewTimer(w.cfg.IdleFor)
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	t.Stop()
	if ctx.Err() != nil {
		cmd.Close()
		return ctx.Err()
	}
	left := time.Now()
	if err := cmd.Close(); err != nil {
		return err
	}
	if err := cmd.Wait(); err != nil {
		return err
	}
	w.rec.okDuration(OpIdle, entered+time.Since(left))
	return nil
}
