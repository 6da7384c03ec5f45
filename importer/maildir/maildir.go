// Package maildir is the importer's Maildir source: a Maildir++ tree as
// Dovecot and Courier keep it (INBOX in the root, folders in ".Name.Sub"
// directories, names in modified UTF-7), with the identifiers those servers
// stored beside the mail: dovecot-uidlist, dovecot-keywords,
// courierimapuiddb, courierpop3dsizelist, courierimapkeywords/:list and the
// subscription files (LEGACY-FORMATS.md §b.1, §b.2).
package maildir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/mutf7"
	"github.com/ferrymail/ferrymail/store"
)

// Source reads a Maildir++ tree.
type Source struct {
	root string
}

var _ importer.Source = (*Source)(nil)

// Open returns the source for the Maildir++ tree at root.
func Open(root string) (*Source, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", root)
	}
	return &Source{root: root}, nil
}

// folder is a source mailbox's directory and what was read about it.
type folder struct {
	dir      string
	uidlist  *UIDList
	uiddb    *UIDDB
	sizes    *SizeList
	keywords Keywords
	courier  CourierKeywords
}

// isMaildir reports whether dir has a cur or new subdirectory.
func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// Mailboxes lists INBOX (the root) and the Maildir++ folders.
func (s *Source) Mailboxes(ctx context.Context) ([]importer.Mailbox, error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, err
	}
	subs, subWarnings := readSubscriptions(s.root)
	var boxes []importer.Mailbox
	if isMaildir(s.root) {
		boxes = append(boxes, importer.Mailbox{Name: store.InboxName, SourceName: s.root})
	}
	type named struct {
		parts []string
		mb    importer.Mailbox
	}
	var folders []named
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, ".") || n == "." || n == ".." || len(n) < 2 || !e.IsDir() && e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		dir := filepath.Join(s.root, n)
		if !isMaildir(dir) {
			continue
		}
		parts, warn := folderName(n[1:])
		mb := importer.Mailbox{Name: strings.Join(parts, "/"), SourceName: dir}
		if warn != "" {
			mb.Warnings = append(mb.Warnings, dir+": "+warn)
		}
		if strings.EqualFold(parts[0], "INBOX") && len(parts) == 1 {
			mb.Warnings = append(mb.Warnings, dir+": a folder named INBOX besides the root's INBOX: imported as INBOX too")
		}
		folders = append(folders, named{parts, mb})
	}
	slices.SortFunc(folders, func(a, b named) int { return slices.Compare(a.parts, b.parts) })
	for _, f := range folders {
		boxes = append(boxes, f.mb)
	}
	for i := range boxes {
		mb := &boxes[i]
		mb.Subscribed = subs[mb.Name]
		if i == 0 {
			mb.Warnings = append(mb.Warnings, subWarnings...)
		}
		f, err := readFolder(mb)
		if err != nil {
			return nil, err
		}
		mb.Private = f
	}
	return boxes, nil
}

// folderName decodes a Maildir++ folder name ("Work.2024" → Work/2024),
// each level in modified UTF-7. A level that is not valid mUTF-7 is kept
// as it is, with a warning.
func folderName(n string) ([]string, string) {
	parts := strings.Split(n, ".")
	var warn string
	for i, p := range parts {
		if p == "" {
			p = "_"
		}
		dec, err := mutf7.Decode(p)
		if err != nil {
			warn = fmt.Sprintf("folder name %q is not valid modified UTF-7 (%v): kept as it is", n, err)
			dec = p
		}
		parts[i] = dec
	}
	return parts, warn
}

// readSubscriptions reads Dovecot's "subscriptions" and Courier's
// "courierimapsubscribed" in the mail root.
func readSubscriptions(root string) (map[string]bool, []string) {
	subs := map[string]bool{}
	var warnings []string
	for _, file := range []string{"subscriptions", "courierimapsubscribed"} {
		path := filepath.Join(root, file)
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		for name := range importer.ParseSubscriptions(string(b), "./") {
			subs[name] = true
		}
	}
	return subs, warnings
}

// readFolder reads a folder's identifier files and fills in the mailbox's
// UIDVALIDITY, UIDNEXT and notes.
func readFolder(mb *importer.Mailbox) (*folder, error) {
	f := &folder{dir: mb.SourceName}
	open := func(name string) (*os.File, string, bool) {
		path := filepath.Join(f.dir, name)
		fh, err := os.Open(path)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				mb.Warnings = append(mb.Warnings, fmt.Sprintf("%s: %v", path, err))
			}
			return nil, path, false
		}
		return fh, path, true
	}
	if fh, path, ok := open("dovecot-uidlist"); ok {
		ul, warns, err := ParseUIDList(fh, path)
		fh.Close()
		mb.Warnings = append(mb.Warnings, warns...)
		if err != nil {
			mb.Warnings = append(mb.Warnings, err.Error()+": file ignored")
		} else {
			f.uidlist = ul
		}
	}
	if fh, path, ok := open("dovecot-keywords"); ok {
		kw, warns := ParseDovecotKeywords(fh, path)
		fh.Close()
		f.keywords = kw
		mb.Warnings = append(mb.Warnings, warns...)
	}
	if fh, path, ok := open("courierimapuiddb"); ok {
		db, warns, err := ParseUIDDB(fh, path)
		fh.Close()
		mb.Warnings = append(mb.Warnings, warns...)
		if err != nil {
			mb.Warnings = append(mb.Warnings, err.Error()+": file ignored")
		} else {
			f.uiddb = db
		}
	}
	if fh, path, ok := open("courierpop3dsizelist"); ok {
		sl, warns, err := ParsePOP3DSizeList(fh, path)
		fh.Close()
		mb.Warnings = append(mb.Warnings, warns...)
		if err != nil {
			mb.Warnings = append(mb.Warnings, err.Error()+": file ignored")
		} else {
			f.sizes = sl
		}
	}
	if fh, path, ok := open(filepath.Join("courierimapkeywords", ":list")); ok {
		ck, warns := ParseCourierKeywords(fh, path)
		fh.Close()
		f.courier = ck
		mb.Warnings = append(mb.Warnings, warns...)
	}
	switch {
	case f.uidlist != nil:
		mb.UIDValidity, mb.UIDNext = f.uidlist.UIDValidity, store.UID(f.uidlist.NextUID)
		mb.Notes = append(mb.Notes, fmt.Sprintf("identifiers from dovecot-uidlist (version %d)", f.uidlist.Version))
		if f.uiddb != nil {
			mb.Notes = append(mb.Notes, "courierimapuiddb ignored: dovecot-uidlist is newer")
		}
	case f.uiddb != nil:
		mb.UIDValidity, mb.UIDNext = f.uiddb.UIDValidity, store.UID(f.uiddb.NextUID)
		mb.Notes = append(mb.Notes, "IMAP identifiers from courierimapuiddb")
	default:
		mb.Notes = append(mb.Notes, "no identifier files (dovecot-uidlist, courierimapuiddb): UIDs assigned in a stable order (delivery time in the filename, then name)")
	}
	if f.sizes != nil {
		mb.Notes = append(mb.Notes, fmt.Sprintf("POP3 UIDLs and order from courierpop3dsizelist (version %d)", f.sizes.Version))
	}
	if mb.UIDValidity == 0 && (f.uidlist != nil || f.uiddb != nil) {
		mb.Warnings = append(mb.Warnings, mb.SourceName+": UIDVALIDITY 0 in the identifier file: a new one is given")
	}
	return f, nil
}

// file is one message file found in cur/ or new/. It is kept small: a
// folder's listing is the one thing held per message while importing.
type file struct {
	name    string
	baseLen uint16 // name[:baseLen] is the base name
	inNew   bool   // in new/ rather than cur/
	uid     uint32
	ext     *recordExt // what dovecot-uidlist said beyond the UID, if anything
}

// recordExt is the part of a dovecot-uidlist record kept per message.
type recordExt struct {
	uidl  string
	order uint32
	guid  string
}

func (f *file) base() string { return f.name[:f.baseLen] }

func (f *file) dir(folder string) string {
	if f.inNew {
		return filepath.Join(folder, "new")
	}
	return filepath.Join(folder, "cur")
}

// Messages lists the folder's message files and matches them with the
// identifier files by base name.
func (s *Source) Messages(ctx context.Context, mb *importer.Mailbox) (importer.MessageIter, error) {
	f, _ := mb.Private.(*folder)
	if f == nil {
		var err error
		if f, err = readFolder(mb); err != nil {
			return nil, err
		}
	}
	mb.Private = nil // what follows holds what is needed
	var files []file
	seen := map[string]bool{}
	var warnings []string
	for _, sub := range []string{"cur", "new"} {
		dir := filepath.Join(f.dir, sub)
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			n := e.Name()
			if strings.HasPrefix(n, ".") || e.IsDir() {
				continue
			}
			base := BaseName(n)
			if seen[base] || len(base) > 0xffff {
				warnings = append(warnings, fmt.Sprintf("%s: a second file with base name %s: not imported", filepath.Join(dir, n), base))
				continue
			}
			seen[base] = true
			files = append(files, file{name: n, baseLen: uint16(len(base)), inNew: sub == "new"})
		}
	}
	seen = nil
	byBase := make(map[string]int, len(files))
	for i := range files {
		byBase[files[i].base()] = i
	}
	unlisted := 0
	haveIDs := f.uidlist != nil || f.uiddb != nil
	switch {
	case f.uidlist != nil:
		for i := range f.uidlist.Records {
			rec := &f.uidlist.Records[i]
			if j, ok := byBase[BaseName(rec.Filename)]; ok && files[j].uid == 0 {
				files[j].uid = rec.UID
				if ext := (recordExt{uidl: rec.POP3UIDL(), order: rec.POP3Order(), guid: rec.Ext['G']}); ext != (recordExt{}) {
					files[j].ext = &ext
				}
			}
		}
		f.uidlist = nil // all that is needed is in files now
	case f.uiddb != nil:
		for i := range files {
			files[i].uid = f.uiddb.UIDs[files[i].base()]
		}
		f.uiddb = nil
	}
	byBase = nil
	if haveIDs {
		for i := range files {
			if files[i].uid == 0 {
				unlisted++
			}
		}
	}
	slices.SortFunc(files, func(a, b file) int {
		switch {
		case a.uid != 0 && b.uid != 0:
			return int(int64(a.uid) - int64(b.uid))
		case a.uid != 0:
			return -1
		case b.uid != 0:
			return 1
		}
		if ta, tb := fileTime(a.base()), fileTime(b.base()); ta != tb {
			if ta < tb {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	if unlisted > 0 {
		mb.Notes = append(mb.Notes, fmt.Sprintf("%d messages not in the identifier file (delivered since the old server last looked): given new UIDs", unlisted))
	}
	return &iter{f: f, files: files, warnings: warnings}, nil
}

// fileTime is the delivery time that starts a Maildir filename
// ("1276528487.M364837P9451.host"), or MaxInt64 when there is none.
func fileTime(base string) int64 {
	end := strings.IndexByte(base, '.')
	if end < 0 {
		end = len(base)
	}
	t, err := strconv.ParseInt(base[:end], 10, 64)
	if err != nil {
		return 1<<63 - 1
	}
	return t
}

type iter struct {
	f        *folder
	files    []file
	i        int
	warnings []string
}

func (it *iter) Close() error { return nil }

func (it *iter) Next() (*importer.Message, error) {
	if len(it.warnings) > 0 {
		w := it.warnings[0]
		it.warnings = it.warnings[1:]
		where, what, _ := strings.Cut(w, ": ")
		return nil, &importer.MessageError{Where: where, Err: errors.New(what)}
	}
	if it.i >= len(it.files) {
		return nil, io.EOF
	}
	fl := it.files[it.i]
	it.files[it.i] = file{} // let what was imported go
	it.i++
	dir, base := fl.dir(it.f.dir), fl.base()
	path := filepath.Join(dir, fl.name)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &importer.MessageError{Where: path, Err: fmt.Errorf("%w (renamed or removed while importing? run the import again)", err)}
	}
	flags, unknown := InfoFlags(fl.name, &it.f.keywords)
	flags = append(flags, it.f.courier[base]...)
	msg := &importer.Message{
		UID:          store.UID(fl.uid),
		InternalDate: fi.ModTime(),
		SourceKey:    "maildir:" + base,
		Where:        path,
		Flags:        flags,
		Filename:     base,
		GUID:         base,
	}
	if unknown != "" {
		msg.Warnings = append(msg.Warnings, fmt.Sprintf("%s: flag letters %q have no meaning here (no dovecot-keywords entry): ignored", path, unknown))
	}
	if fl.ext != nil {
		if fl.ext.uidl != "" {
			msg.UIDL, msg.UIDLFrom = fl.ext.uidl, "dovecot-uidlist P"
		}
		msg.POP3Order = fl.ext.order
		if fl.ext.guid != "" {
			msg.GUID = fl.ext.guid
		}
	}
	if it.f.sizes != nil {
		if e, ok := it.f.sizes.Entries[base]; ok {
			if msg.UIDL == "" {
				msg.UIDL, msg.UIDLFrom = e.UIDL, "courierpop3dsizelist"
			}
			if msg.POP3Order == 0 {
				msg.POP3Order = e.Order
			}
		}
	}
	size := fi.Size()
	msg.Open = func() (io.ReadCloser, error) {
		fh, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			// The old server renamed it (a flag changed): find it again.
			if p2 := findBase(dir, base); p2 != "" {
				fh, err = os.Open(p2)
			}
		}
		if err != nil {
			return nil, err
		}
		return &sizedFile{File: fh, size: size}, nil
	}
	return msg, nil
}

// findBase looks for the current file of a message whose flags changed.
func findBase(dir, base string) string {
	for _, d := range []string{dir, filepath.Join(filepath.Dir(dir), "cur"), filepath.Join(filepath.Dir(dir), "new")} {
		matches, _ := filepath.Glob(filepath.Join(d, globEscape(base)+"*"))
		for _, m := range matches {
			if BaseName(filepath.Base(m)) == base {
				return m
			}
		}
	}
	return ""
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}

// sizedFile tells importer.Run the size of a message before it is read,
// for its batch bounds.
type sizedFile struct {
	*os.File
	size int64
}

func (f *sizedFile) Size() int64 { return f.size }
