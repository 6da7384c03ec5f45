package importer

import (
	"context"
	"fmt"

	"github.com/ferrymail/ferrymail/store"
)

// StoredKeyer is a source that can tell, from a message in the store, the
// SourceKey it would have had (POP3: "pop3:" + its UIDL), or "" for a
// message that did not come from it. Options.ExpungeMissing needs it.
type StoredKeyer interface {
	StoredKey(m *store.Message) string
}

// expungeMissing expunges from the target the messages that an earlier run
// imported from this source and that the source no longer lists: mail
// deleted at the old server between the bulk copy and the cut-over. Only
// messages whose stored SourceKey maps to their own UID count, so mail
// delivered to Ferrymail itself is never touched. It runs only after the
// source was read to its end without a message it could not name.
func (r *mailboxRun) expungeMissing(ctx context.Context) error {
	kr := r.src.(StoredKeyer) // checked by Run
	if r.unnamed {
		r.rep.Warnings = append(r.rep.Warnings, r.box.SourceName+
			": messages the source could not read were not identified, so none were expunged for --expunge-missing")
		return nil
	}
	if r.target.ID == 0 {
		return nil
	}
	msgs, err := r.st.Messages(ctx, r.acct, r.target.ID)
	if err != nil {
		return fmt.Errorf("listing %q: %w", r.target.Name, err)
	}
	cand := map[string]store.UID{}
	var keys []string
	for i := range msgs {
		k := kr.StoredKey(&msgs[i])
		if k == "" || r.seenKeys[k] {
			continue
		}
		cand[k] = msgs[i].UID
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil
	}
	done, err := r.st.ImportedSourceKeys(ctx, r.acct, r.target.ID, keys)
	if err != nil {
		return fmt.Errorf("looking up source keys in %q: %w", r.target.Name, err)
	}
	var gone []store.UID
	for k, uid := range cand {
		if done[k] == uid {
			gone = append(gone, uid)
		}
	}
	if r.opts.DryRun {
		r.rep.Expunged = len(gone)
		return nil
	}
	ex, err := r.st.Expunge(ctx, r.acct, r.target.ID, gone)
	r.rep.Expunged = len(ex)
	if err != nil {
		return fmt.Errorf("expunging %d messages gone at the source: %w", len(gone), err)
	}
	return nil
}
