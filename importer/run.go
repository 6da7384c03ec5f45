package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/ferrymail/ferrymail/importer/uidl"
	"github.com/ferrymail/ferrymail/store"
)

// Options configure Run. The zero value imports with the identifier rules
// of DESIGN.md and the default batch bounds.
type Options struct {
	// UIDLScheme renders UIDLs for messages whose source has none stored;
	// the zero Scheme leaves them to the store's template.
	UIDLScheme uidl.Scheme
	// Renumber allows a mailbox in conflict (see the package comment) to be
	// imported with new UIDs under the target's UIDVALIDITY.
	Renumber bool
	// FillGaps is store.ImportOptions.FillGaps.
	FillGaps bool
	// ExpungeMissing expunges, after a mailbox was read to its end, the
	// messages an earlier run imported from the source that the source no
	// longer has (a POP3 cut-over: mail deleted at the old server since
	// the bulk copy). The source must be a StoredKeyer.
	ExpungeMissing bool
	// DryRun reads the source and compares it with the store, writing
	// nothing.
	DryRun bool
	// BatchCount and BatchBytes bound one call of store.Import; 0 means
	// DefaultBatchCount and DefaultBatchBytes.
	BatchCount int
	BatchBytes int64
	// Progress, if set, is called after every batch and at the end of
	// every mailbox.
	Progress func(Progress)
	// Logger receives a line per batch at debug level; nil: discard.
	Logger *slog.Logger
}

// Default batch bounds: one badger transaction stays far below its size
// limit (ErrTxnTooBig), and a killed import loses at most one batch of work.
const (
	DefaultBatchCount = 200
	DefaultBatchBytes = 8 << 20
)

// Progress is reported while a mailbox is imported. It crosses the admin
// socket as JSON.
type Progress struct {
	Mailbox  string `json:"mailbox"`
	Read     int    `json:"read"` // source messages looked at
	Imported int    `json:"imported"`
	Skipped  int    `json:"skipped"`
	Bytes    int64  `json:"bytes"`
	Done     bool   `json:"done,omitempty"` // the mailbox is finished
}

// errStop ends a mailbox (its MailboxReport.Err says why).
type errStop struct{ err error }

func (e *errStop) Error() string { return e.err.Error() }
func (e *errStop) Unwrap() error { return e.err }

// Run imports every mailbox of src into the account. It returns an error
// only when it could not start (the source's mailbox list is unreadable)
// or ctx was cancelled; everything else is in the report, mailbox by
// mailbox.
func Run(ctx context.Context, st *store.Store, acct store.AccountID, src Source, opts Options) (*Report, error) {
	if opts.BatchCount <= 0 {
		opts.BatchCount = DefaultBatchCount
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = DefaultBatchBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if _, ok := src.(StoredKeyer); opts.ExpungeMissing && !ok {
		return nil, fmt.Errorf("expunging missing messages: this source cannot name the messages it gave before")
	}
	boxes, err := src.Mailboxes(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the source's mailboxes: %w", err)
	}
	rep := &Report{DryRun: opts.DryRun}
	for i := range boxes {
		mr := &MailboxReport{Source: boxes[i].SourceName, Target: boxes[i].Name,
			SourceUIDValidity: boxes[i].UIDValidity,
			Notes:             append([]string(nil), boxes[i].Notes...),
			Warnings:          append([]string(nil), boxes[i].Warnings...)}
		rep.Mailboxes = append(rep.Mailboxes, mr)
		r := &mailboxRun{st: st, acct: acct, src: src, box: &boxes[i], opts: opts, rep: mr}
		if err := r.run(ctx); err != nil {
			if ctx.Err() != nil {
				mr.Err = ctx.Err()
				return rep, ctx.Err()
			}
			mr.Err = err
		}
		if opts.Progress != nil {
			opts.Progress(Progress{Mailbox: mr.Target, Read: mr.Read, Imported: mr.Imported, Skipped: mr.Skipped, Bytes: mr.Bytes, Done: true})
		}
	}
	return rep, nil
}

// mailboxRun imports one mailbox.
type mailboxRun struct {
	st   *store.Store
	acct store.AccountID
	src  Source
	box  *Mailbox
	opts Options
	rep  *MailboxReport

	target   store.Mailbox
	exists   bool                   // the target existed before (dry run: exists at all)
	next     store.UID              // the next UID to assign to a message without one
	last     store.UID              // the highest UID given to a message in this run
	batch    []pending              // messages waiting for store.Import
	size     int64                  // their sizes as far as known
	uidls    map[string]bool        // UIDLs given in this batch
	flagsFix map[string][]store.UID // flags to set (joined) → UIDs
	flagsSet map[string][]string    // joined → the flags
	seenKeys map[string]bool        // ExpungeMissing: every SourceKey the source gave
	unnamed  bool                   // ExpungeMissing: a message came without a SourceKey
}

type pending struct {
	im   store.ImportMessage
	msg  *Message
	body io.ReadCloser
	// fromScheme says that the UIDL was rendered by the scheme rather than
	// taken from the source.
	fromScheme bool
}

func (r *mailboxRun) run(ctx context.Context) error {
	if r.box.Name == "" {
		r.rep.Target = "(not a mailbox: skipped)"
		return nil
	}
	if err := r.prepareTarget(ctx); err != nil {
		return err
	}
	notes, warnings := len(r.box.Notes), len(r.box.Warnings)
	it, err := r.src.Messages(ctx, r.box)
	if err != nil {
		return fmt.Errorf("reading %s: %w", r.box.SourceName, err)
	}
	// What the source found out while listing the messages.
	r.rep.Notes = append(r.rep.Notes, r.box.Notes[notes:]...)
	r.rep.Warnings = append(r.rep.Warnings, r.box.Warnings[warnings:]...)
	defer it.Close()
	r.uidls = map[string]bool{}
	r.flagsFix = map[string][]store.UID{}
	r.flagsSet = map[string][]string{}
	r.seenKeys = map[string]bool{}
	for {
		if err := ctx.Err(); err != nil {
			r.closeBatch()
			return err
		}
		msg, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var merr *MessageError
		if errors.As(err, &merr) {
			r.rep.fail(merr.Where, merr.Err.Error())
			r.unnamed = true
			continue
		}
		if err != nil {
			r.closeBatch()
			return fmt.Errorf("reading %s: %w", r.box.SourceName, err)
		}
		r.rep.Read++
		r.rep.Warnings = append(r.rep.Warnings, msg.Warnings...)
		if r.opts.ExpungeMissing {
			r.seenKeys[msg.SourceKey] = true
			r.unnamed = r.unnamed || msg.SourceKey == ""
		}
		if err := r.add(ctx, msg); err != nil {
			var stop *errStop
			if errors.As(err, &stop) {
				// What was queued before the conflict is fine: write it.
				if ferr := r.flush(ctx); ferr != nil {
					return ferr
				}
			}
			r.closeBatch()
			return err
		}
		if len(r.batch) >= r.opts.BatchCount || r.size >= r.opts.BatchBytes || msg.Streaming {
			if err := r.flush(ctx); err != nil {
				return err
			}
		}
	}
	if err := r.flush(ctx); err != nil {
		return err
	}
	if err := r.fixFlags(ctx); err != nil {
		return err
	}
	if err := r.raiseHighestModSeq(ctx); err != nil {
		return err
	}
	if r.opts.ExpungeMissing {
		return r.expungeMissing(ctx)
	}
	return nil
}

// prepareTarget applies the UIDVALIDITY rule to the target mailbox.
func (r *mailboxRun) prepareTarget(ctx context.Context) error {
	spec := store.ImportMailboxSpec{
		Name: r.box.Name, UIDValidity: r.box.UIDValidity, UIDNext: r.box.UIDNext,
		SpecialUse: r.box.SpecialUse, Subscribed: r.box.Subscribed,
	}
	before, err := r.st.Mailbox(ctx, r.acct, r.box.Name)
	switch {
	case err == nil:
		r.exists = true
	case errors.Is(err, store.ErrMailboxNotFound):
	default:
		return fmt.Errorf("looking up target mailbox %q: %w", r.box.Name, err)
	}
	conflict := func(uv uint32, next store.UID) error {
		return fmt.Errorf("%w: target mailbox %q has UIDVALIDITY %d with UIDs up to %d, the source %s has UIDVALIDITY %d; "+
			"nothing was imported into it (--renumber imports it under UIDVALIDITY %d with new UIDs, and its clients will download it again)",
			store.ErrUIDValidityConflict, r.box.Name, uv, next-1, r.box.SourceName, r.box.UIDValidity, uv)
	}
	if r.opts.DryRun {
		r.target = before
		if !r.exists {
			r.target = store.Mailbox{Name: r.box.Name, UIDValidity: r.box.UIDValidity, UIDNext: max(r.box.UIDNext, 1)}
		} else if r.box.UIDValidity != 0 && before.UIDValidity != r.box.UIDValidity && before.UIDNext > 1 {
			if !r.opts.Renumber {
				return conflict(before.UIDValidity, before.UIDNext)
			}
			r.rep.Renumbered = true
		} else {
			r.target.UIDNext = max(r.target.UIDNext, r.box.UIDNext)
		}
	} else {
		r.target, err = r.st.ImportMailbox(ctx, r.acct, spec)
		if errors.Is(err, store.ErrUIDValidityConflict) {
			if !r.opts.Renumber {
				return conflict(before.UIDValidity, before.UIDNext)
			}
			spec.UIDValidity, spec.UIDNext = 0, 0
			r.target, err = r.st.ImportMailbox(ctx, r.acct, spec)
			r.rep.Renumbered = true
		}
		if err != nil {
			return fmt.Errorf("preparing target mailbox %q: %w", r.box.Name, err)
		}
	}
	r.rep.Target = r.target.Name
	r.rep.UIDValidity = r.target.UIDValidity
	if r.rep.Renumbered {
		r.rep.Notes = append(r.rep.Notes, fmt.Sprintf(
			"renumbered: messages took new UIDs under UIDVALIDITY %d; IMAP clients of the source will download this mailbox again (POP3 UIDLs are kept)",
			r.target.UIDValidity))
	}
	r.next = max(r.target.UIDNext, 1)
	if !r.rep.Renumbered {
		r.next = max(r.next, r.box.UIDNext)
	}
	return nil
}

// add decides what to do with one source message: skip it (bringing its
// flags across), or queue it with its identifiers.
func (r *mailboxRun) add(ctx context.Context, msg *Message) error {
	flags := r.cleanFlags(msg)
	if msg.SourceKey != "" && r.target.ID != 0 {
		done, err := r.st.ImportedSourceKeys(ctx, r.acct, r.target.ID, []string{msg.SourceKey})
		if err != nil {
			return fmt.Errorf("looking up %s in the store: %w", msg.Where, err)
		}
		if uid, ok := done[msg.SourceKey]; ok {
			r.rep.Skipped++
			// One record read per message, so that memory does not grow
			// with the mailbox.
			have, err := r.heldFlags(ctx, uid)
			if err != nil {
				return err
			}
			if have != nil && !msg.FlagsUnknown && !sameFlags(have, flags) {
				k := strings.Join(flags, " ")
				r.flagsFix[k] = append(r.flagsFix[k], uid)
				r.flagsSet[k] = flags
			}
			return nil
		}
	}
	uid := msg.UID
	switch {
	case r.rep.Renumbered:
		uid = 0
	case uid != 0 && uid <= r.last:
		r.rep.warn(msg.Where, fmt.Sprintf("UID %d does not ascend (after %d): given a new UID", uid, r.last))
		uid = 0
	case uid != 0:
		have, err := r.heldFlags(ctx, uid)
		if err != nil {
			return err
		}
		if have != nil {
			// Same UIDVALIDITY, same UID, another message: mail reached the
			// target meanwhile. Renumbering only the source's messages would
			// not do: the old server's clients have this UID cached for the
			// source's message, so the mailbox needs a new UIDVALIDITY.
			if !r.opts.Renumber {
				return &errStop{fmt.Errorf("%w: target mailbox %q already holds UID %d under UIDVALIDITY %d with another message than %s "+
					"(mail delivered to Ferrymail meanwhile?); nothing more was imported into it. Clients of the old server have that UID "+
					"cached for another message: --renumber gives the mailbox a new UIDVALIDITY (all its clients download it again) "+
					"and the source's remaining messages new UIDs",
					store.ErrUIDReuse, r.target.Name, uid, r.target.UIDValidity, msg.Where)}
			}
			if err := r.renew(ctx, uid); err != nil {
				return err
			}
			uid = 0
		}
	}
	if uid == 0 {
		uid = max(r.next, r.last+1)
		r.rep.UIDsAssigned++
	}
	r.last = uid
	r.next = max(r.next, uid+1)

	p := pending{msg: msg, im: store.ImportMessage{
		UID: uid, POP3Order: msg.POP3Order, Flags: flags, InternalDate: msg.InternalDate, SourceKey: msg.SourceKey,
		ModSeq: msg.ModSeq,
	}}
	r.chooseUIDL(ctx, &p)
	if r.opts.DryRun {
		r.rep.Imported++
		return nil
	}
	nw := len(msg.Warnings)
	body, err := msg.Open()
	r.rep.Warnings = append(r.rep.Warnings, msg.Warnings[nw:]...)
	if err != nil {
		r.rep.fail(msg.Where, fmt.Sprintf("reading the message: %v", err))
		return nil
	}
	p.body = body
	p.im.Body = body
	r.batch = append(r.batch, p)
	if s, ok := body.(interface{ Size() int64 }); ok {
		r.size += s.Size()
	}
	return nil
}

// renew gives the target a new UIDVALIDITY because source UID uid collides
// with another message (see store.RenewUIDValidity); the source's messages
// from here on take new UIDs.
func (r *mailboxRun) renew(ctx context.Context, uid store.UID) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	old := r.target.UIDValidity
	if !r.opts.DryRun {
		mb, err := r.st.RenewUIDValidity(ctx, r.acct, r.target.ID)
		if err != nil {
			return err
		}
		r.target = mb
	}
	r.rep.Renumbered = true
	r.rep.UIDValidity = r.target.UIDValidity
	r.rep.Notes = append(r.rep.Notes, fmt.Sprintf(
		"renumbered: UID %d was taken by another message, so the mailbox's UIDVALIDITY went from %d to %d; "+
			"the source's remaining messages took new UIDs, and all clients of this mailbox download it again (POP3 UIDLs are kept)",
		uid, old, r.target.UIDValidity))
	r.next = max(r.next, r.target.UIDNext)
	return nil
}

// heldFlags returns the flags of the target's message with this UID
// (non-nil, possibly empty), or nil when the target has none.
func (r *mailboxRun) heldFlags(ctx context.Context, uid store.UID) ([]string, error) {
	if r.target.ID == 0 || uid == 0 {
		return nil, nil
	}
	m, err := r.st.Message(ctx, r.acct, r.target.ID, uid)
	if errors.Is(err, store.ErrMessageNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading UID %d of %q: %w", uid, r.target.Name, err)
	}
	if m.Flags == nil {
		return []string{}, nil
	}
	return m.Flags, nil
}

// chooseUIDL picks the message's UIDL: the source's, else the scheme's,
// else "" (the store's template).
func (r *mailboxRun) chooseUIDL(ctx context.Context, p *pending) {
	msg := p.msg
	srcUID := msg.UID
	if srcUID == 0 {
		srcUID = p.im.UID
	}
	uv := r.box.UIDValidity
	if uv == 0 {
		uv = r.target.UIDValidity
	}
	rendered := r.opts.UIDLScheme.Render(uidl.Vars{UID: uint32(srcUID), UIDValidity: uv,
		Filename: msg.Filename, GUID: msg.GUID, MD5: msg.HeaderMD5})
	if rendered != "" && store.ValidateUIDL(rendered) != nil {
		r.rep.warn(msg.Where, fmt.Sprintf("UIDL scheme %s gives %q, not a valid UIDL", r.opts.UIDLScheme, rendered))
		rendered = ""
	}
	candidates := []struct{ uidl, from string }{{msg.UIDL, msg.UIDLFrom}, {rendered, "scheme " + r.opts.UIDLScheme.String()}}
	for _, c := range candidates {
		if c.uidl == "" {
			continue
		}
		if err := store.ValidateUIDL(c.uidl); err != nil {
			r.rep.warn(msg.Where, fmt.Sprintf("%s UIDL %q not usable: %v", c.from, c.uidl, err))
			continue
		}
		if r.uidls[c.uidl] || r.uidlTaken(ctx, c.uidl) {
			r.rep.warn(msg.Where, fmt.Sprintf("%s UIDL %q is already used in this account", c.from, c.uidl))
			continue
		}
		p.im.UIDL = c.uidl
		r.uidls[c.uidl] = true
		if c.uidl == msg.UIDL {
			r.rep.UIDLsFromSource++
		} else {
			r.rep.UIDLsFromScheme++
			p.fromScheme = true
		}
		return
	}
	r.rep.UIDLsFromTemplate++
}

func (r *mailboxRun) uidlTaken(ctx context.Context, u string) bool {
	_, _, err := r.st.FindUIDL(ctx, r.acct, u)
	return err == nil
}

// flush writes the batch. A batch the store refuses as a whole is written
// message by message, so that one bad message costs only itself.
func (r *mailboxRun) flush(ctx context.Context) error {
	if len(r.batch) == 0 {
		return nil
	}
	batch := r.batch
	r.batch, r.size = nil, 0
	clear(r.uidls)
	ims := make([]store.ImportMessage, len(batch))
	for i := range batch {
		ims[i] = batch[i].im
	}
	res, err := r.st.Import(ctx, r.acct, r.target.ID, ims, store.ImportOptions{FillGaps: r.opts.FillGaps})
	for _, p := range batch {
		p.body.Close()
	}
	if err == nil {
		r.count(res)
		r.opts.Logger.Debug("import batch", "mailbox", r.target.Name, "messages", len(batch))
		r.progress()
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// What was committed before the error stays (Import commits in order).
	r.count(res)
	rest := batch[len(res):]
	if stop := conflictError(err); stop != nil && len(rest) == 1 {
		return stop
	}
	for _, p := range rest {
		if err := r.retryOne(ctx, p); err != nil {
			return err
		}
	}
	r.progress()
	return nil
}

// retryOne writes one message of a refused batch on its own.
func (r *mailboxRun) retryOne(ctx context.Context, p pending) error {
	if p.msg.Streaming {
		r.rep.fail(p.msg.Where, "not imported: its batch was refused and the message cannot be read again in this run (run the import again)")
		return nil
	}
	for attempt := 0; attempt < 2; attempt++ {
		body, err := p.msg.Open()
		if err != nil {
			r.rep.fail(p.msg.Where, fmt.Sprintf("reading the message: %v", err))
			return nil
		}
		p.im.Body = body
		res, err := r.st.Import(ctx, r.acct, r.target.ID, []store.ImportMessage{p.im}, store.ImportOptions{FillGaps: r.opts.FillGaps})
		body.Close()
		switch {
		case err == nil:
			r.count(res)
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case attempt == 0 && p.im.UIDL != "" && (errors.Is(err, store.ErrUIDLExists) || errors.Is(err, store.ErrInvalidUIDL)):
			r.rep.warn(p.msg.Where, fmt.Sprintf("UIDL %q refused (%v): the message got one from the template", p.im.UIDL, err))
			p.im.UIDL = ""
			if p.fromScheme {
				r.rep.UIDLsFromScheme--
			} else {
				r.rep.UIDLsFromSource--
			}
			r.rep.UIDLsFromTemplate++
		default:
			if stop := conflictError(err); stop != nil {
				return stop
			}
			r.rep.fail(p.msg.Where, err.Error())
			return nil
		}
	}
	return nil
}

// conflictError turns a store refusal that concerns the mailbox's UIDs into
// the error that stops the mailbox.
func conflictError(err error) error {
	if errors.Is(err, store.ErrUIDReuse) || errors.Is(err, store.ErrUIDNotAscending) ||
		errors.Is(err, store.ErrUIDValidityConflict) || errors.Is(err, store.ErrUIDSpaceExhausted) {
		return &errStop{fmt.Errorf("%w; nothing more was imported into this mailbox (--fill-gaps accepts source UIDs that were never used here; --renumber, with a UIDVALIDITY conflict, gives the source's messages new UIDs)", err)}
	}
	return nil
}

func (r *mailboxRun) count(res []store.ImportResult) {
	for i := range res {
		if res[i].Skipped {
			r.rep.Skipped++
			continue
		}
		r.rep.Imported++
		r.rep.Bytes += res[i].Message.Size
	}
}

func (r *mailboxRun) closeBatch() {
	for _, p := range r.batch {
		p.body.Close()
	}
	r.batch = nil
}

func (r *mailboxRun) progress() {
	if r.opts.Progress != nil {
		r.opts.Progress(Progress{Mailbox: r.target.Name, Read: r.rep.Read, Imported: r.rep.Imported, Skipped: r.rep.Skipped, Bytes: r.rep.Bytes})
	}
}

// fixFlags brings flag changes at the source across to messages imported
// before: one StoreFlags per distinct set of flags.
func (r *mailboxRun) fixFlags(ctx context.Context) error {
	keys := make([]string, 0, len(r.flagsFix))
	for k := range r.flagsFix {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		uids := r.flagsFix[k]
		if r.opts.DryRun {
			r.rep.FlagsUpdated += len(uids)
			continue
		}
		res, err := r.st.StoreFlags(ctx, r.acct, r.target.ID, uids, store.FlagsReplace, r.flagsSet[k], store.StoreFlagsOptions{})
		if err != nil {
			return fmt.Errorf("bringing flags (%s) across to %d messages: %w", k, len(uids), err)
		}
		r.rep.FlagsUpdated += len(res.Updated)
	}
	return nil
}

// systemFlags are the flags the store keeps (RFC 9051 §2.3.2; \Recent is a
// session property).
var systemFlags = []string{store.FlagSeen, store.FlagAnswered, store.FlagFlagged, store.FlagDeleted, store.FlagDraft}

// cleanFlags returns the message's flags the store can keep, canonically
// spelled, and warns about the others.
func (r *mailboxRun) cleanFlags(msg *Message) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range msg.Flags {
		key := strings.ToLower(f)
		if seen[key] {
			continue
		}
		seen[key] = true
		if strings.HasPrefix(f, `\`) {
			ok := false
			for _, s := range systemFlags {
				if strings.EqualFold(s, f) {
					out, ok = append(out, s), true
				}
			}
			if !ok && !strings.EqualFold(f, `\Recent`) {
				r.rep.warn(msg.Where, fmt.Sprintf("flag %q is not a system flag: dropped", f))
			}
			continue
		}
		if !validKeyword(f) {
			r.rep.warn(msg.Where, fmt.Sprintf("keyword %q is not an IMAP atom: dropped", f))
			continue
		}
		out = append(out, f)
	}
	return out
}

// validKeyword is RFC 9051 §9 flag-keyword = atom.
func validKeyword(kw string) bool {
	if kw == "" || len(kw) > 250 {
		return false
	}
	for i := 0; i < len(kw); i++ {
		if c := kw[i]; c <= 0x20 || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}

// sameFlags compares two flag lists as sets, case-insensitively.
func sameFlags(a, b []string) bool {
	set := func(l []string) map[string]bool {
		m := make(map[string]bool, len(l))
		for _, f := range l {
			m[strings.ToLower(f)] = true
		}
		return m
	}
	sa, sb := set(a), set(b)
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}

// raiseHighestModSeq gives the target the source's HIGHESTMODSEQ (RFC 7162
// §3.1.2.1) once the mailbox's messages are in. Not before: the store keeps
// a message's source MODSEQ only when it is above the mailbox's
// HIGHESTMODSEQ (a new message is a change, and a change must be seen by
// CHANGEDSINCE), so a HIGHESTMODSEQ raised first would lift every message's
// MODSEQ above the source's. Imported in UID order, the MODSEQs of mail that
// arrived and was never changed again ascend and are kept exactly; the few
// below an earlier one are raised past it, which a CONDSTORE client sees as
// a flag change to re-read (flags only, never bodies).
func (r *mailboxRun) raiseHighestModSeq(ctx context.Context) error {
	if r.opts.DryRun || r.box.HighestModSeq <= r.target.HighestModSeq {
		return nil
	}
	mb, err := r.st.ImportMailbox(ctx, r.acct, store.ImportMailboxSpec{Name: r.target.Name, HighestModSeq: r.box.HighestModSeq})
	if err != nil {
		return fmt.Errorf("setting HIGHESTMODSEQ of %q: %w", r.target.Name, err)
	}
	r.target.HighestModSeq = mb.HighestModSeq
	return nil
}
