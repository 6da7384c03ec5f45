package store

import (
	"context"
	"encoding/binary"
	"errors"

	"github.com/dgraph-io/badger/v4"
)

// ImportedSourceKeys reports which of keys were imported into mailbox m
// before (see ImportMessage.SourceKey), with the UID each one was given;
// a key whose message has been expunged since is reported too. It lets an
// importer skip a message it already brought across without reading its
// body, so that re-running an import is cheap.
func (s *Store) ImportedSourceKeys(ctx context.Context, a AccountID, m MailboxID, keys []string) (map[string]UID, error) {
	out := make(map[string]UID)
	err := s.view(ctx, func(txn *badger.Txn) error {
		if _, err := getMailbox(txn, a, m); err != nil {
			return err
		}
		for _, k := range keys {
			if k == "" {
				continue
			}
			v, err := getValue(txn, keySourceKey(m, k), ErrMessageNotFound)
			if errors.Is(err, ErrMessageNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			var uid UID
			if len(v) == 4 {
				uid = UID(binary.BigEndian.Uint32(v))
			}
			out[k] = uid
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
