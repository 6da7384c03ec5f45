package mbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/ferrymail/ferrymail/importer/uidl"
	"github.com/ferrymail/ferrymail/store"
)

// Options configure a Source.
type Options struct {
	Quoting Quoting
	// UseXUIDL makes a message's X-UIDL header its UIDL (the "xuidl"
	// scheme: qpopper, Dovecot's pop3_reuse_xuidl).
	UseXUIDL bool
	// MaxBuffer is the largest message held in memory; larger ones are
	// streamed from the file into the store. 0 means 1 MiB.
	MaxBuffer int
	// Mailbox names the target of a single mbox file; "" means INBOX.
	Mailbox string
}

// Source reads an mbox file, or a directory tree of them.
type Source struct {
	path string
	dir  bool
	opts Options
}

var _ importer.Source = (*Source)(nil)

// Open returns the source for an mbox file (imported as INBOX) or a
// directory of mbox files (each named by its path below the directory;
// "inbox" at the top is INBOX).
func Open(path string, opts Options) (*Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if opts.MaxBuffer <= 0 {
		opts.MaxBuffer = 1 << 20
	}
	return &Source{path: path, dir: fi.IsDir(), opts: opts}, nil
}

// isMbox reports whether the file starts with "From ".
func isMbox(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [5]byte
	n, _ := io.ReadFull(f, b[:])
	return string(b[:n]) == "From "
}

// Mailboxes lists the mbox files and reads each one's first message for
// the X-IMAP/X-IMAPbase identifiers.
func (s *Source) Mailboxes(ctx context.Context) ([]importer.Mailbox, error) {
	var boxes []importer.Mailbox
	if !s.dir {
		name := s.opts.Mailbox
		if name == "" || strings.EqualFold(name, store.InboxName) {
			name = store.InboxName
		}
		boxes = append(boxes, importer.Mailbox{Name: name, SourceName: s.path})
	} else {
		subs := readSubscriptions(s.path)
		err := filepath.WalkDir(s.path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && p != s.path {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			rel, _ := filepath.Rel(s.path, p)
			if !isMbox(p) {
				if fi, err := os.Stat(p); err == nil && fi.Size() > 0 {
					boxes = append(boxes, importer.Mailbox{SourceName: p, Name: "", Warnings: []string{p + ": not an mbox (no From_ line at the start): skipped"}})
				}
				return nil
			}
			parts := strings.Split(filepath.ToSlash(rel), "/")
			var warn string
			for i, part := range parts {
				dec, err := mutf7.Decode(part)
				if err != nil {
					warn = fmt.Sprintf("%s: name %q is not valid modified UTF-7 (%v): kept as it is", p, part, err)
					dec = part
				}
				parts[i] = dec
			}
			name := strings.Join(parts, "/")
			if strings.EqualFold(name, "inbox") {
				name = store.InboxName
			}
			mb := importer.Mailbox{Name: name, SourceName: p, Subscribed: subs[name]}
			if warn != "" {
				mb.Warnings = append(mb.Warnings, warn)
			}
			boxes = append(boxes, mb)
			return nil
		})
		if err != nil {
			return nil, err
		}
		boxes = slices.DeleteFunc(boxes, func(mb importer.Mailbox) bool {
			return mb.Name == "" && len(mb.Warnings) == 0
		})
		slices.SortStableFunc(boxes, func(a, b importer.Mailbox) int {
			if (a.Name == store.InboxName) != (b.Name == store.InboxName) {
				if a.Name == store.InboxName {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Name, b.Name)
		})
	}
	for i := range boxes {
		if boxes[i].Name == "" {
			continue
		}
		s.readBase(&boxes[i])
	}
	return boxes, nil
}

// readSubscriptions reads Dovecot's ".subscriptions" and UW's
// ".mailboxlist" in the mail directory.
func readSubscriptions(dir string) map[string]bool {
	subs := map[string]bool{}
	for _, file := range []string{".subscriptions", ".mailboxlist"} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			continue
		}
		for name := range importer.ParseSubscriptions(string(b), "/") {
			subs[name] = true
		}
	}
	return subs
}

// base is what X-IMAP or X-IMAPbase says.
type base struct {
	uidValidity uint32
	uidLast     uint32
	keywords    []string
	ok          bool
}

func parseBase(v string) (base, error) {
	f := strings.Fields(v)
	if len(f) < 2 {
		return base{}, fmt.Errorf("X-IMAPbase %q: want \"<uidvalidity> <uid-last> [keywords]\"", v)
	}
	uv, err1 := strconv.ParseUint(f[0], 10, 32)
	last, err2 := strconv.ParseUint(f[1], 10, 32)
	if err1 != nil || err2 != nil || uv == 0 {
		return base{}, fmt.Errorf("X-IMAPbase %q: bad numbers", v)
	}
	return base{uidValidity: uint32(uv), uidLast: uint32(last), keywords: f[2:], ok: true}, nil
}

// readBase reads the first message's header for the mailbox identifiers.
func (s *Source) readBase(mb *importer.Mailbox) {
	f, err := os.Open(mb.SourceName)
	if err != nil {
		mb.Warnings = append(mb.Warnings, err.Error())
		return
	}
	defer f.Close()
	r := NewReader(f, mb.SourceName, s.opts.Quoting)
	m, err := r.Next()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			mb.Warnings = append(mb.Warnings, err.Error())
		}
		return
	}
	v := m.XIMAP
	if v == "" {
		v = m.XIMAPBase
	}
	if v == "" {
		mb.Notes = append(mb.Notes, "no X-IMAPbase or X-IMAP header: UIDs assigned in file order")
		return
	}
	b, err := parseBase(v)
	if err != nil {
		mb.Warnings = append(mb.Warnings, fmt.Sprintf("%s:%d: %v: UIDs assigned in file order", mb.SourceName, m.Line, err))
		return
	}
	mb.UIDValidity, mb.UIDNext = b.uidValidity, store.UID(b.uidLast)+1
	mb.Notes = append(mb.Notes, fmt.Sprintf("identifiers from X-IMAP%s and X-UID headers", map[bool]string{true: "", false: "base"}[m.XIMAP != ""]))
}

// Messages reads one mbox file.
func (s *Source) Messages(ctx context.Context, mb *importer.Mailbox) (importer.MessageIter, error) {
	if mb.Name == "" {
		return &emptyIter{}, nil
	}
	f, err := os.Open(mb.SourceName)
	if err != nil {
		return nil, err
	}
	return &iter{s: s, f: f, r: NewReader(f, mb.SourceName, s.opts.Quoting), mb: mb, keys: map[string]int{}}, nil
}

type emptyIter struct{}

func (emptyIter) Next() (*importer.Message, error) { return nil, io.EOF }
func (emptyIter) Close() error                     { return nil }

type iter struct {
	s     *Source
	f     *os.File
	r     *Reader
	mb    *importer.Mailbox
	first bool
	base  base
	prev  uint32 // the last UID given (trusted X-UID)
	trust bool   // X-UIDs are still trusted
	keys  map[string]int
	n     int
}

func (it *iter) Close() error { return it.f.Close() }

func (it *iter) Next() (*importer.Message, error) {
	for {
		m, err := it.r.Next()
		if err != nil {
			return nil, err
		}
		where := fmt.Sprintf("%s:%d", it.mb.SourceName, m.Line)
		it.n++
		if it.n == 1 {
			v := m.XIMAP
			if v == "" {
				v = m.XIMAPBase
			}
			if v != "" {
				if b, err := parseBase(v); err == nil {
					it.base, it.trust = b, true
				}
			}
			if m.Present["x-imap"] {
				continue // the "FOLDER INTERNAL DATA" pseudo-message
			}
		}
		return it.message(m, where)
	}
}

func (it *iter) message(m *Message, where string) (*importer.Message, error) {
	msg := &importer.Message{InternalDate: m.Date, Where: where}
	if m.Date.IsZero() {
		msg.Warnings = append(msg.Warnings, where+": From_ line without a date: INTERNALDATE is the import time")
	}
	// X-UID counts only while the UIDs ascend and stay within uid-last
	// (LEGACY-FORMATS.md §b.3: "fake X-UID headers don't really matter").
	if it.trust && m.XUID != "" {
		uid, err := strconv.ParseUint(strings.TrimSpace(m.XUID), 10, 32)
		if err == nil && uint32(uid) > it.prev && uint32(uid) <= it.base.uidLast {
			msg.UID = store.UID(uid)
			it.prev = uint32(uid)
		} else {
			it.trust = false
			msg.Warnings = append(msg.Warnings, fmt.Sprintf("%s: X-UID %q not ascending or above uid-last %d: this and later messages get new UIDs",
				where, m.XUID, it.base.uidLast))
		}
	} else if it.trust {
		it.trust = false
	}
	msg.Flags = flags(m)
	if it.s.opts.UseXUIDL && m.XUIDL != "" {
		msg.UIDL, msg.UIDLFrom = strings.TrimSpace(m.XUIDL), "X-UIDL"
	}
	md := uidl.NewHeaderMD5()
	for _, l := range m.HeaderLines {
		md.Line(l)
	}
	msg.HeaderMD5 = md.Sum()
	// The key: the From_ line and the header as served, which flag changes
	// do not touch, numbered if the same one occurs again.
	h := sha256.New()
	h.Write([]byte(m.FromLine))
	h.Write([]byte{'\n'})
	h.Write(m.Header)
	k := hex.EncodeToString(h.Sum(nil)[:16])
	it.keys[k]++
	msg.SourceKey = fmt.Sprintf("mbox:%s#%d", k, it.keys[k])

	// The body: small messages are buffered, so that the importer can
	// batch them; large ones stream from the file.
	buf := bytes.NewBuffer(append([]byte(nil), m.Header...))
	max := int64(it.s.opts.MaxBuffer)
	n, err := io.CopyN(buf, m.Body, max-int64(buf.Len())+1)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if int64(buf.Len()) <= max && (errors.Is(err, io.EOF) || n == 0) {
		data := buf.Bytes()
		msg.Open = func() (io.ReadCloser, error) {
			return &sized{Reader: bytes.NewReader(data), size: int64(len(data))}, nil
		}
		return msg, nil
	}
	msg.Streaming = true
	opened := false
	body := io.MultiReader(bytes.NewReader(buf.Bytes()), m.Body)
	msg.Open = func() (io.ReadCloser, error) {
		if opened {
			return nil, errors.New("a streamed message can be read once")
		}
		opened = true
		return io.NopCloser(bufio.NewReaderSize(body, 64<<10)), nil
	}
	return msg, nil
}

type sized struct {
	*bytes.Reader
	size int64
}

func (s *sized) Close() error { return nil }
func (s *sized) Size() int64  { return s.size }

// flags maps Status, X-Status and X-Keywords to IMAP flags: Status R is
// \Seen (O only clears \Recent); X-Status A \Answered, F \Flagged, T \Draft,
// D \Deleted; X-Keywords are space-separated keywords.
func flags(m *Message) []string {
	var out []string
	if strings.ContainsRune(m.Status, 'R') {
		out = append(out, `\Seen`)
	}
	for _, c := range m.XStatus {
		switch c {
		case 'A':
			out = append(out, `\Answered`)
		case 'F':
			out = append(out, `\Flagged`)
		case 'T':
			out = append(out, `\Draft`)
		case 'D':
			out = append(out, `\Deleted`)
		}
	}
	out = append(out, strings.Fields(m.XKeywords)...)
	return out
}
