package admin

import (
	"context"
	"fmt"
)

// UserHash is one account of "ferrymail user import": a login name and a
// password hash to store as it is.
type UserHash struct {
	Name string `json:"name"`
	Hash string `json:"hash"`
	// Update replaces the hash of an existing account instead of
	// refusing it (store.ErrAccountExists).
	Update bool `json:"update,omitempty"`
}

// ImportedUser says what ImportUser did.
type ImportedUser struct {
	Name    string `json:"name"`
	Created bool   `json:"created"` // false: an existing account's hash was replaced
}

func (l *Local) ImportUser(ctx context.Context, u UserHash) (ImportedUser, error) {
	acc, err := l.st.Account(ctx, u.Name)
	if err == nil && u.Update {
		if err := l.st.SetPasswordHash(ctx, acc.ID, u.Hash); err != nil {
			return ImportedUser{}, fmt.Errorf("updating the password hash of %q: %w", acc.Name, err)
		}
		return ImportedUser{Name: acc.Name}, nil
	}
	created, err := l.st.CreateAccountWithHash(ctx, u.Name, u.Hash)
	if err != nil {
		return ImportedUser{}, err // the store's text names the account
	}
	return ImportedUser{Name: created.Name, Created: true}, nil
}

func (c *Client) ImportUser(ctx context.Context, u UserHash) (ImportedUser, error) {
	var res ImportedUser
	err := c.call(ctx, request{Op: opUserImport, User: u.Name, UserHash: &u}, &res)
	return res, err
}
