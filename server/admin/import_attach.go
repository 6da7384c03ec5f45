package admin

import (
	"context"
	"fmt"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/pop3src"
)

// attachUIDLs runs an ImportRequest with AttachUIDLs: the POP3 server's
// UIDLs are given to the INBOX messages already imported (over IMAP), and
// nothing is imported (pop3src.Source.AttachUIDLs).
func (l *Local) attachUIDLs(ctx context.Context, req ImportRequest) (*importer.Report, error) {
	if req.Format != FormatPOP3 {
		return nil, fmt.Errorf("%w: attaching UIDLs needs a POP3 source", ErrBadRequest)
	}
	if req.ExpungeMissing {
		return nil, fmt.Errorf("%w: attaching UIDLs imports and expunges nothing", ErrBadRequest)
	}
	src, err := req.pop3Source()
	if err != nil {
		return nil, err
	}
	acc, err := l.st.Account(ctx, req.User)
	if err != nil {
		return nil, fmt.Errorf("attaching UIDLs in %q: %w", req.User, err)
	}
	return src.(*pop3src.Source).AttachUIDLs(ctx, l.st, acc.ID, pop3src.AttachOptions{DryRun: req.DryRun})
}
