package admin

import (
	"context"
	"fmt"

	"github.com/ferrymail/ferrymail/store"
)

// Local implements API by calling the store directly. It does not own the
// store: whoever opened it closes it.
type Local struct {
	st *store.Store
}

var _ API = (*Local)(nil)

// NewLocal returns an API on an open store.
func NewLocal(st *store.Store) *Local { return &Local{st: st} }

func (l *Local) AddUser(ctx context.Context, name, password string) (User, error) {
	if password == "" {
		return User{}, fmt.Errorf("adding user %q: %w", name, ErrEmptyPassword)
	}
	acc, err := l.st.CreateAccount(ctx, name, password)
	if err != nil {
		return User{}, err // the store's text already names the account
	}
	return User{Name: acc.Name, Created: acc.Created}, nil
}

func (l *Local) Users(ctx context.Context) ([]User, error) {
	accs, err := l.st.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	out := make([]User, 0, len(accs))
	for _, a := range accs {
		out = append(out, User{Name: a.Name, Created: a.Created})
	}
	return out, nil
}

func (l *Local) SetPassword(ctx context.Context, name, password string) error {
	if password == "" {
		return fmt.Errorf("setting the password of %q: %w", name, ErrEmptyPassword)
	}
	acc, err := l.st.Account(ctx, name)
	if err != nil {
		return fmt.Errorf("setting the password: %w", err)
	}
	if err := l.st.SetPassword(ctx, acc.ID, password); err != nil {
		return fmt.Errorf("setting the password of %q: %w", acc.Name, err)
	}
	return nil
}

func (l *Local) DeleteUser(ctx context.Context, name string) error {
	acc, err := l.st.Account(ctx, name)
	if err != nil {
		return fmt.Errorf("deleting user: %w", err)
	}
	if err := l.st.DeleteAccount(ctx, acc.ID); err != nil {
		return fmt.Errorf("deleting user %q: %w", acc.Name, err)
	}
	return nil
}

func (l *Local) Mailboxes(ctx context.Context, user string) ([]Mailbox, error) {
	acc, err := l.st.Account(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("listing mailboxes: %w", err)
	}
	boxes, err := l.st.Mailboxes(ctx, acc.ID)
	if err != nil {
		return nil, fmt.Errorf("listing mailboxes of %q: %w", acc.Name, err)
	}
	out := make([]Mailbox, 0, len(boxes))
	for _, mb := range boxes {
		out = append(out, Mailbox{
			Name: mb.Name, UIDValidity: mb.UIDValidity, UIDNext: mb.UIDNext,
			HighestModSeq: mb.HighestModSeq, Messages: mb.Messages,
			SpecialUse: mb.SpecialUse, Subscribed: mb.Subscribed,
		})
	}
	return out, nil
}

func (l *Local) Messages(ctx context.Context, user, mailbox string) ([]Message, error) {
	acc, err := l.st.Account(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("listing messages: %w", err)
	}
	mb, err := l.st.Mailbox(ctx, acc.ID, mailbox)
	if err != nil {
		return nil, fmt.Errorf("listing messages of %q: %w", acc.Name, err)
	}
	msgs, err := l.st.Messages(ctx, acc.ID, mb.ID)
	if err != nil {
		return nil, fmt.Errorf("listing messages of %q in %q: %w", acc.Name, mb.Name, err)
	}
	out := make([]Message, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, Message{
			UID: m.UID, UIDL: m.UIDL, Flags: m.Flags, Size: m.Size,
			InternalDate: m.InternalDate, ModSeq: m.ModSeq,
		})
	}
	return out, nil
}
