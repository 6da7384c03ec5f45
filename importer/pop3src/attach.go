package pop3src

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/uidlmatch"
	"github.com/ferrymail/ferrymail/store"
)

// Attaching UIDLs: when a legacy server has both an IMAP and a POP3 view of
// INBOX and INBOX was imported over IMAP, its messages carry UIDLs from
// Ferrymail's template while POP3 clients cached the legacy server's. This
// imports nothing: it lists the POP3 maildrop, pairs each message with an
// INBOX message (importer/uidlmatch: the UIDL it already has, then size,
// then a normalised header hash from TOP n 0 against the stored header) and
// gives the paired INBOX messages the legacy UIDLs and POP3 order
// (store.SetUIDLs). What does not pair, or pairs with more than one
// message, is reported by UIDL and left alone. A second run finds every
// pair by its UIDL and changes nothing.

// AttachOptions change what AttachUIDLs does.
type AttachOptions struct {
	DryRun bool // match and report, change nothing
}

// maxMatchRounds bounds Match → fetch hashes → Match: a first round by
// size, one with the hashes of equal-size groups, one with the hashes of
// the rest. Each round fetches only hashes not fetched before.
const maxMatchRounds = 4

// AttachUIDLs gives the INBOX messages of account a the UIDLs the POP3
// server lists for the same messages. The report has one mailbox, INBOX:
// Read is the POP3 listing's length, Skipped the messages that carried
// their UIDL already; each POP3 message left unpaired is a Failure.
func (s *Source) AttachUIDLs(ctx context.Context, st *store.Store, a store.AccountID, opts AttachOptions) (*importer.Report, error) {
	c, err := dial(ctx, &s.o, s.warn)
	if err != nil {
		return nil, err
	}
	s.c = c
	defer s.Close()
	ul, sizes, err := s.list()
	if err != nil {
		return nil, err
	}
	inbox, err := st.Mailbox(ctx, a, "INBOX")
	if err != nil {
		return nil, err
	}
	msgs, err := st.Messages(ctx, a, inbox.ID)
	if err != nil {
		return nil, err
	}
	mr := &importer.MailboxReport{Source: s.name(), Target: "INBOX", SourceUIDValidity: inbox.UIDValidity, UIDValidity: inbox.UIDValidity}
	rep := &importer.Report{DryRun: opts.DryRun, Mailboxes: []*importer.MailboxReport{mr}}

	// The POP3 side: messages with a usable UIDL. One a broken server
	// repeats, or that breaks RFC 1939 §7's syntax, cannot be attached.
	size := map[string]int64{}
	for _, e := range sizes {
		size[e.key] = e.size
	}
	var pop []uidlmatch.POP3Msg
	var popListed []listed
	for _, e := range ul {
		mr.Read++
		where := s.where(e)
		sz, ok := size[e.key]
		switch {
		case e.key != e.uidl:
			mr.Failures = append(mr.Failures, importer.Failure{Where: where, Reason: "UIDL not attached: the server lists this UIDL for another message too"})
			continue
		case store.ValidateUIDL(e.uidl) != nil:
			mr.Failures = append(mr.Failures, importer.Failure{Where: where, Reason: "UIDL not attached: " + store.ValidateUIDL(e.uidl).Error()})
			continue
		case !ok:
			mr.Failures = append(mr.Failures, importer.Failure{Where: where, Reason: "UIDL not attached: LIST gave no size for it"})
			continue
		}
		pop = append(pop, uidlmatch.POP3Msg{UIDL: e.uidl, Size: sz})
		popListed = append(popListed, e)
	}
	stored := make([]uidlmatch.StoredMsg, len(msgs))
	for i, m := range msgs {
		stored[i] = uidlmatch.StoredMsg{UID: uint32(m.UID), UIDL: m.UIDL, Size: m.Size}
	}

	var res uidlmatch.Result
	hashed := 0
	for round := 0; ; round++ {
		res = uidlmatch.Match(pop, stored)
		if len(res.NeedPOP3) == 0 && len(res.NeedStored) == 0 {
			break
		}
		if round == maxMatchRounds {
			return nil, errors.New("matching POP3 and INBOX messages did not settle (a bug)")
		}
		for _, p := range res.NeedPOP3 {
			h, err := s.headerHash(popListed[p])
			if err != nil {
				return nil, err
			}
			pop[p].Hash = &h
			hashed++
		}
		for _, i := range res.NeedStored {
			h, err := storedHash(ctx, st, a, inbox.ID, msgs[i].UID)
			if err != nil {
				return nil, err
			}
			stored[i].Hash = &h
			hashed++
		}
	}
	mr.Warnings = append(mr.Warnings, s.takeWarnings()...)
	set, counts := s.assignments(ctx, st, a, inbox.ID, res, pop, popListed, msgs, mr)
	for _, p := range res.Ambiguous {
		var uids []string
		for i := range stored {
			if stored[i].Size == pop[p].Size && stored[i].Hash != nil && *stored[i].Hash == *pop[p].Hash {
				uids = append(uids, fmt.Sprint(stored[i].UID))
			}
		}
		mr.Failures = append(mr.Failures, importer.Failure{Where: s.where(popListed[p]),
			Reason: fmt.Sprintf("UIDL not attached: ambiguous, INBOX UIDs %s have the same size and header", strings.Join(uids, ", "))})
	}
	for _, p := range res.Unmatched {
		mr.Failures = append(mr.Failures, importer.Failure{Where: s.where(popListed[p]),
			Reason: fmt.Sprintf("UIDL not attached: no INBOX message has its size (%d) or header", pop[p].Size)})
	}
	if len(res.Extra) > 0 {
		var uids []string
		for _, i := range res.Extra[:min(len(res.Extra), 20)] {
			uids = append(uids, fmt.Sprint(msgs[i].UID))
		}
		more := ""
		if len(res.Extra) > 20 {
			more = ", …"
		}
		mr.Notes = append(mr.Notes, fmt.Sprintf("%d INBOX messages have no POP3 counterpart and keep their UIDLs (UIDs %s%s)", len(res.Extra), strings.Join(uids, ", "), more))
	}
	if !opts.DryRun && len(set) > 0 {
		if _, err := st.SetUIDLs(ctx, a, inbox.ID, set); err != nil {
			mr.Err = err
			return rep, nil
		}
	}
	verb := "attached"
	if opts.DryRun {
		verb = "to attach"
	}
	mr.Notes = append(mr.Notes, fmt.Sprintf("POP3 UIDLs %s: %d by size, %d by size and header, %d by header alone (sizes differ); %d carried their UIDL already; %d header hashes fetched",
		verb, counts[uidlmatch.BySize], counts[uidlmatch.BySizeHeader], counts[uidlmatch.ByHeader], counts[uidlmatch.ByUIDL], hashed))
	return rep, nil
}

func (s *Source) where(e listed) string {
	return fmt.Sprintf("%s message %d (UIDL %s)", s.name(), e.n, e.uidl)
}

// assignments turns the pairs into store.UIDLAssignments, leaving out (as
// failures) a pair whose UIDL another message of the account holds: the
// store would refuse the whole set for it.
func (s *Source) assignments(ctx context.Context, st *store.Store, a store.AccountID, inbox store.MailboxID, res uidlmatch.Result,
	pop []uidlmatch.POP3Msg, popListed []listed, msgs []store.Message, mr *importer.MailboxReport) ([]store.UIDLAssignment, map[uidlmatch.How]int) {
	inSet := map[store.UID]bool{}
	for _, p := range res.Pairs {
		inSet[msgs[p.S].UID] = true
	}
	counts := map[uidlmatch.How]int{}
	var set []store.UIDLAssignment
	for _, p := range res.Pairs {
		e, m := popListed[p.P], msgs[p.S]
		if p.How != uidlmatch.ByUIDL {
			mb, uid, err := st.FindUIDL(ctx, a, e.uidl)
			if err == nil && (mb != inbox || !inSet[uid]) {
				mr.Failures = append(mr.Failures, importer.Failure{Where: s.where(e),
					Reason: fmt.Sprintf("UIDL not attached to INBOX UID %d: another message (mailbox %d UID %d) carries it", m.UID, mb, uid)})
				continue
			}
		}
		if p.How == uidlmatch.ByHeader {
			mr.Warnings = append(mr.Warnings, fmt.Sprintf("%s: paired with INBOX UID %d by header alone: LIST says %d octets, the stored message has %d",
				s.where(e), m.UID, pop[p.P].Size, m.Size))
		}
		counts[p.How]++
		if p.How == uidlmatch.ByUIDL && m.POP3Order == uint32(e.n) {
			mr.Skipped++
		}
		set = append(set, store.UIDLAssignment{UID: m.UID, UIDL: e.uidl, POP3Order: uint32(e.n), SourceKey: "pop3:" + e.uidl})
	}
	return set, counts
}

// headerHash hashes a POP3 message's header from TOP n 0, or from RETR
// when the server has no TOP or its TOP answer lacks the end of the header.
func (s *Source) headerHash(e listed) (uidlmatch.Hash, error) {
	n := s.current[e.key]
	if _, ok := s.c.capa["TOP"]; s.c.capa == nil || ok {
		r, err := s.c.top(n)
		var perr *Error
		switch {
		case err == nil:
			h, complete, herr := uidlmatch.HeaderHash(r)
			if _, err := io.Copy(io.Discard, r); err != nil {
				return h, fmt.Errorf("TOP %d: %w", n, err)
			}
			if herr != nil {
				return h, fmt.Errorf("TOP %d: %w", n, herr)
			}
			if complete {
				return h, nil
			}
			s.warn(fmt.Sprintf("TOP %d 0 (UIDL %s) gave no end of header: hashing the whole message (RETR)", n, e.uidl))
		case errors.As(err, &perr):
			// RFC 1939 §7: TOP is optional. Once refused, RETR for all.
			s.c.capa = map[string]string{}
		default:
			return uidlmatch.Hash{}, err
		}
	}
	r, err := s.c.retr(n)
	if err != nil {
		return uidlmatch.Hash{}, fmt.Errorf("RETR %d (UIDL %s): %w", n, e.uidl, err)
	}
	h, _, herr := uidlmatch.HeaderHash(r)
	if _, err := io.Copy(io.Discard, r); err != nil {
		return h, fmt.Errorf("RETR %d: %w", n, err)
	}
	return h, herr
}

// storedHash hashes the header of a stored message.
func storedHash(ctx context.Context, st *store.Store, a store.AccountID, m store.MailboxID, uid store.UID) (uidlmatch.Hash, error) {
	r, err := st.OpenMessage(ctx, a, m, uid)
	if err != nil {
		return uidlmatch.Hash{}, fmt.Errorf("reading INBOX UID %d: %w", uid, err)
	}
	defer r.Close()
	h, _, err := uidlmatch.HeaderHash(r)
	if err != nil {
		return h, fmt.Errorf("reading INBOX UID %d: %w", uid, err)
	}
	return h, nil
}
