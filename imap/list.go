package imap

import (
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/store"
)

// List implements LIST (RFC 9051 §6.3.9) with LIST-EXTENDED (RFC 5258),
// LIST-STATUS (RFC 5819), SPECIAL-USE (RFC 6154) and CHILDREN (RFC 3348),
// and LSUB (RFC 3501 §6.3.9), which imapserver maps to SelectSubscribed.
func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) (err error) {
	defer s.logCmd("LIST", time.Now(), &err)
	if options == nil {
		options = &imap.ListOptions{}
	}
	if len(patterns) == 1 && patterns[0] == "" {
		// RFC 9051 §6.3.9: an empty pattern asks for the delimiter and root.
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: delim})
	}
	all, err := s.srv.store.Mailboxes(s.ctx, s.acct.ID)
	if err != nil {
		return s.storeErr(err)
	}
	for i := range all {
		mb := &all[i]
		if !matchAny(mb.Name, ref, patterns) {
			continue
		}
		data, ok := listData(all, i, options)
		if !ok {
			continue
		}
		if options.ReturnStatus != nil {
			data.Status = statusData(mb, options.ReturnStatus, s.srv.opts.AppendLimit)
		}
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

// listData builds the LIST answer for all[i], or false when the selection
// options leave it out.
func listData(all []store.Mailbox, i int, o *imap.ListOptions) (*imap.ListData, bool) {
	mb := &all[i]
	hasChildren, subscribedChild := false, false
	for j := i + 1; j < len(all) && strings.HasPrefix(all[j].Name, mb.Name+string(delim)); j++ {
		hasChildren = true
		subscribedChild = subscribedChild || all[j].Subscribed
	}
	data := &imap.ListData{Delim: delim, Mailbox: mb.Name}
	switch {
	case o.SelectSpecialUse && mb.SpecialUse == "":
		return nil, false
	case o.SelectSubscribed && !mb.Subscribed:
		// RFC 5258 §3.5: RECURSIVEMATCH reports a parent of subscribed
		// mailboxes with CHILDINFO.
		if !o.SelectRecursiveMatch || !subscribedChild {
			return nil, false
		}
		data.ChildInfo = &imap.ListDataChildInfo{Subscribed: true}
	}
	if hasChildren { // RFC 3348 / RFC 5258 §4
		data.Attrs = append(data.Attrs, imap.MailboxAttrHasChildren)
	} else {
		data.Attrs = append(data.Attrs, imap.MailboxAttrHasNoChildren)
	}
	if mb.Subscribed && (o.SelectSubscribed || o.ReturnSubscribed) {
		data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
	}
	if mb.SpecialUse != "" { // RFC 6154 §2: sent also without RETURN (SPECIAL-USE)
		data.Attrs = append(data.Attrs, imap.MailboxAttr(mb.SpecialUse))
	}
	return data, true
}

func matchAny(name, ref string, patterns []string) bool {
	for _, p := range patterns {
		if matchList(name, ref, p) {
			return true
		}
	}
	return false
}

// matchList matches a mailbox name against a reference and LIST pattern
// (RFC 9051 §6.3.9: "*" matches anything, "%" anything but the
// delimiter). It runs in O(len(name)·len(pattern)); imapserver.MatchList
// backtracks and can be made exponential by a pattern like "*a*a*a*…b".
// "INBOX" matches case-insensitively (RFC 9051 §5.1).
func matchList(name, ref, pattern string) bool {
	if strings.HasPrefix(pattern, string(delim)) {
		ref, pattern = "", pattern[1:]
	}
	if ref != "" {
		// The reference is a mailbox name, not a pattern: a literal prefix.
		if !strings.HasSuffix(ref, string(delim)) {
			ref += string(delim)
		}
		ref = inboxCase(name, ref)
		if !strings.HasPrefix(name, ref) {
			return false
		}
		return wildMatch(name[len(ref):], pattern)
	}
	return wildMatch(name, inboxCase(name, pattern))
}

// inboxCase spells a leading "inbox" of s as the name does, when the name
// is INBOX or below it.
func inboxCase(name, s string) string {
	if (name == store.InboxName || strings.HasPrefix(name, store.InboxName+string(delim))) &&
		len(s) >= 5 && strings.EqualFold(s[:5], store.InboxName) {
		return store.InboxName + s[5:]
	}
	return s
}

func wildMatch(name, pattern string) bool {
	// cur[j]: pattern[:i] matches name[:j]
	cur := make([]bool, len(name)+1)
	next := make([]bool, len(name)+1)
	cur[0] = true
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		clear(next)
		switch c {
		case '*', '%':
			reach := false
			for j := 0; j <= len(name); j++ {
				if cur[j] {
					reach = true
				} else if j > 0 && c == '%' && name[j-1] == byte(delim) {
					reach = false
				}
				next[j] = reach
			}
		default:
			for j := 1; j <= len(name); j++ {
				next[j] = cur[j-1] && name[j-1] == c
			}
		}
		cur, next = next, cur
	}
	return cur[len(name)]
}
