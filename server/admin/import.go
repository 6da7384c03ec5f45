package admin

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/maildir"
	"github.com/ferrymail/ferrymail/importer/mbox"
	"github.com/ferrymail/ferrymail/importer/uidl"
)

// Import runs the importer on the store. Besides the report it returns an
// error when the request is invalid, the account or the source cannot be
// opened, or ctx was cancelled (then with the report so far, as
// importer.Run does).
func (l *Local) Import(ctx context.Context, req ImportRequest, progress func(importer.Progress)) (*importer.Report, error) {
	opts, src, err := req.source()
	if err != nil {
		return nil, err
	}
	acc, err := l.st.Account(ctx, req.User)
	if err != nil {
		return nil, fmt.Errorf("importing into %q: %w", req.User, err)
	}
	opts.Progress = progress
	return importer.Run(ctx, l.st, acc.ID, src, opts)
}

// source checks the request and opens its source.
func (req *ImportRequest) source() (importer.Options, importer.Source, error) {
	opts := importer.Options{Renumber: req.Renumber, FillGaps: req.FillGaps, DryRun: req.DryRun}
	if req.UIDLScheme != "" {
		sc, err := uidl.Parse(req.UIDLScheme)
		if err != nil {
			return opts, nil, fmt.Errorf("%w: UIDL scheme: %v", ErrBadRequest, err)
		}
		opts.UIDLScheme = sc
	}
	// A relative path would be resolved in the server's working
	// directory, not the command's: the command sends absolute ones.
	if !filepath.IsAbs(req.Path) {
		return opts, nil, fmt.Errorf("%w: import source %q is not an absolute path", ErrBadRequest, req.Path)
	}
	switch req.Format {
	case FormatMaildir:
		src, err := maildir.Open(req.Path)
		return opts, src, err
	case FormatMbox:
		q, err := mbox.ParseQuoting(req.FromQuoting)
		if err != nil {
			return opts, nil, fmt.Errorf("%w: From quoting: %v", ErrBadRequest, err)
		}
		src, err := mbox.Open(req.Path, mbox.Options{Quoting: q, UseXUIDL: opts.UIDLScheme.String() == uidl.XUIDL, Mailbox: req.Mailbox})
		return opts, src, err
	}
	return opts, nil, fmt.Errorf("%w: unknown import format %q", ErrBadRequest, req.Format)
}
