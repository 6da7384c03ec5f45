package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/imapsrc"
	"github.com/ferrymail/ferrymail/importer/maildir"
	"github.com/ferrymail/ferrymail/importer/mbox"
	"github.com/ferrymail/ferrymail/importer/pop3src"
	"github.com/ferrymail/ferrymail/importer/remote"
	"github.com/ferrymail/ferrymail/importer/uidl"
)

// Import runs the importer on the store. Besides the report it returns an
// error when the request is invalid, the account or the source cannot be
// opened, or ctx was cancelled (then with the report so far, as
// importer.Run does).
func (l *Local) Import(ctx context.Context, req ImportRequest, progress func(importer.Progress)) (*importer.Report, error) {
	if req.AttachUIDLs {
		return l.attachUIDLs(ctx, req) // import_attach.go
	}
	opts, src, err := req.source()
	if err != nil {
		return nil, err
	}
	acc, err := l.st.Account(ctx, req.User)
	if err != nil {
		return nil, fmt.Errorf("importing into %q: %w", req.User, err)
	}
	opts.Progress = progress
	if c, ok := src.(io.Closer); ok {
		// A live server's session ends here, also when Run stops early.
		defer c.Close()
	}
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
	if req.ExpungeMissing && req.Format != FormatPOP3 && req.Format != FormatIMAP {
		return opts, nil, fmt.Errorf("%w: expunging missing messages is for POP3 and IMAP sources", ErrBadRequest)
	}
	if req.Format == FormatIMAP {
		opts.ExpungeMissing = req.ExpungeMissing
		src, err := req.imapSource()
		return opts, src, err
	}
	if req.Format == FormatPOP3 {
		opts.ExpungeMissing = req.ExpungeMissing
		src, err := req.pop3Source()
		return opts, src, err
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

// pop3Source checks a FormatPOP3 request, reads its password file and
// returns the source (which connects when the importer starts).
func (req *ImportRequest) pop3Source() (importer.Source, error) {
	l, err := req.liveServer("POP3", "a POP3")
	if err != nil {
		return nil, err
	}
	return pop3src.New(pop3src.Options{Addr: req.Host, User: req.RemoteUser, Password: l.password,
		TLS: l.mode, InsecureSkipVerify: req.InsecureSkipVerify}), nil
}

// imapSource checks a FormatIMAP request, reads its password file and
// returns the source (which connects when the importer starts).
func (req *ImportRequest) imapSource() (importer.Source, error) {
	l, err := req.liveServer("IMAP", "an IMAP")
	if err != nil {
		return nil, err
	}
	return imapsrc.New(imapsrc.Options{Addr: req.Host, User: req.RemoteUser, Password: l.password,
		TLS: l.mode, InsecureSkipVerify: req.InsecureSkipVerify,
		Include: req.Include, Exclude: req.Exclude, Rename: req.Rename}), nil
}

// liveLogin is what a live server import needs besides the request's own
// fields: the TLS mode parsed and the password read.
type liveLogin struct {
	mode     remote.TLSMode
	password string
}

// liveServer makes the checks that a POP3 and an IMAP import share: the
// server's host:port, a user, the TLS mode and an absolute password file
// whose first line is the password. proto names the protocol in messages
// ("IMAP"), article it with its article ("an IMAP").
func (req *ImportRequest) liveServer(proto, article string) (liveLogin, error) {
	if req.Host == "" || req.RemoteUser == "" {
		return liveLogin{}, fmt.Errorf("%w: %s import needs the server's host:port and a user", ErrBadRequest, article)
	}
	if _, _, err := net.SplitHostPort(req.Host); err != nil {
		return liveLogin{}, fmt.Errorf("%w: %s server %q: %v", ErrBadRequest, proto, req.Host, err)
	}
	mode, err := remote.ParseTLSMode(req.TLS)
	if err != nil {
		return liveLogin{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	// Relative to the server's working directory it would be another
	// file: the command sends an absolute path.
	if !filepath.IsAbs(req.PasswordFile) {
		return liveLogin{}, fmt.Errorf("%w: password file %q is not an absolute path", ErrBadRequest, req.PasswordFile)
	}
	pw, err := remote.ReadPasswordFile(req.PasswordFile)
	switch {
	case errors.Is(err, remote.ErrEmptyPassword):
		return liveLogin{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	case err != nil:
		return liveLogin{}, fmt.Errorf("reading the password file: %w", err)
	}
	return liveLogin{mode: mode, password: pw}, nil
}
