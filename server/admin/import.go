package admin

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/imapsrc"
	"github.com/ferrymail/ferrymail/importer/maildir"
	"github.com/ferrymail/ferrymail/importer/mbox"
	"github.com/ferrymail/ferrymail/importer/pop3src"
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
	if req.Host == "" || req.RemoteUser == "" {
		return nil, fmt.Errorf("%w: a POP3 import needs the server's host:port and a user", ErrBadRequest)
	}
	if _, _, err := net.SplitHostPort(req.Host); err != nil {
		return nil, fmt.Errorf("%w: POP3 server %q: %v", ErrBadRequest, req.Host, err)
	}
	mode, err := pop3src.ParseTLSMode(req.TLS)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if !filepath.IsAbs(req.PasswordFile) {
		return nil, fmt.Errorf("%w: password file %q is not an absolute path", ErrBadRequest, req.PasswordFile)
	}
	b, err := os.ReadFile(req.PasswordFile)
	if err != nil {
		return nil, fmt.Errorf("reading the password file: %w", err)
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return nil, fmt.Errorf("%w: password file %s: the first line is empty", ErrBadRequest, req.PasswordFile)
	}
	return pop3src.New(pop3src.Options{Addr: req.Host, User: req.RemoteUser, Password: pw,
		TLS: mode, InsecureSkipVerify: req.InsecureSkipVerify}), nil
}

// imapSource checks a FormatIMAP request, reads its password file and
// returns the source (which connects when the importer starts).
func (req *ImportRequest) imapSource() (importer.Source, error) {
	if req.Host == "" || req.RemoteUser == "" {
		return nil, fmt.Errorf("%w: an IMAP import needs the server's host:port and a user", ErrBadRequest)
	}
	if _, _, err := net.SplitHostPort(req.Host); err != nil {
		return nil, fmt.Errorf("%w: IMAP server %q: %v", ErrBadRequest, req.Host, err)
	}
	mode, err := imapsrc.ParseTLSMode(req.TLS)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if !filepath.IsAbs(req.PasswordFile) {
		return nil, fmt.Errorf("%w: password file %q is not an absolute path", ErrBadRequest, req.PasswordFile)
	}
	b, err := os.ReadFile(req.PasswordFile)
	if err != nil {
		return nil, fmt.Errorf("reading the password file: %w", err)
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return nil, fmt.Errorf("%w: password file %s: the first line is empty", ErrBadRequest, req.PasswordFile)
	}
	return imapsrc.New(imapsrc.Options{Addr: req.Host, User: req.RemoteUser, Password: pw,
		TLS: mode, InsecureSkipVerify: req.InsecureSkipVerify,
		Include: req.Include, Exclude: req.Exclude, Rename: req.Rename}), nil
}
