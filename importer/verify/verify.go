package verify

import (
	"context"
	"sync"
)

// Options say what to compare.
type Options struct {
	Old, New Endpoint // the IMAP servers
	// OldPOP3 and NewPOP3 are the POP3 servers, with the same accounts
	// as Old and New; compared only when both have an Addr.
	OldPOP3, NewPOP3 Endpoint
	Patterns         []string   // LIST patterns of mailboxes to compare; none is all
	IMAP             IMAPReader // nil: IMAPClientReader
	POP3             POP3Reader // nil: POP3ClientReader
}

// Run reads both servers, the old and the new at the same time, and
// compares them. An error means that nothing was compared; it is a
// *ConnectError when a server could not be reached or refused the login.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.IMAP == nil {
		o.IMAP = IMAPClientReader{}
	}
	if o.POP3 == nil {
		o.POP3 = POP3ClientReader{}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var old, new Snapshot
	withPOP3 := o.OldPOP3.Addr != "" && o.NewPOP3.Addr != ""
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error // the first failure; those it causes by cancelling come later
	)
	read := func(f func() error) {
		wg.Go(func() {
			if err := f(); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				cancel() // the other readers' results are of no use
			}
		})
	}
	read(func() (err error) { old.Mailboxes, err = o.IMAP.ReadIMAP(ctx, o.Old, o.Patterns); return })
	read(func() (err error) { new.Mailboxes, err = o.IMAP.ReadIMAP(ctx, o.New, o.Patterns); return })
	if withPOP3 {
		read(func() (err error) { old.POP3, err = o.POP3.ReadPOP3(ctx, o.OldPOP3); return })
		read(func() (err error) { new.POP3, err = o.POP3.ReadPOP3(ctx, o.NewPOP3); return })
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if withPOP3 {
		// A maildrop with no messages is an empty listing, not a missing one.
		old.POP3 = nonNil(old.POP3)
		new.POP3 = nonNil(new.POP3)
	}
	return Compare(&old, &new), nil
}

func nonNil(l []POP3Entry) []POP3Entry {
	if l == nil {
		return []POP3Entry{}
	}
	return l
}
