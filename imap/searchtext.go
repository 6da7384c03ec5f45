package imap

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"

	"github.com/emersion/go-message/charset"

	"github.com/ferrymail/ferrymail/store"
	"github.com/ferrymail/ferrymail/store/structure"
)

// maxSearchText bounds the decoded text one message contributes to BODY
// and TEXT searches, so a huge message cannot exhaust memory.
const maxSearchText = 16 << 20

// matcher evaluates SEARCH criteria on one message at a time, loading its
// structure, header and text at most once and only when asked.
type matcher struct {
	s   *session
	v   *selected
	ix  *indexLookup // INTERNALDATE and size, shared by the whole SEARCH
	i   int
	err error // a store failure met by matchCheap

	r      *store.MessageReader
	st     *structure.Message
	gone   bool
	header []field // decoded header fields
	body   *string // decoded, lower-cased text of the body
}

type field struct{ name, value string }

func (m *matcher) reset(i int) {
	if m.r != nil {
		m.r.Close()
	}
	*m = matcher{s: m.s, v: m.v, ix: m.ix, i: i}
}

func (m *matcher) reader() (*store.MessageReader, error) {
	if m.r == nil && !m.gone {
		m.s.srv.contentReads.Add(1)
		r, err := m.s.srv.store.OpenMessage(m.s.ctx, m.s.acct.ID, m.v.mbox.ID, m.v.msgs[m.i].uid)
		if errors.Is(err, store.ErrMessageNotFound) {
			m.gone = true // expunged meanwhile: matches no content criterion
			return nil, nil
		}
		if err != nil {
			return nil, m.s.storeErr(err)
		}
		m.r = r
	}
	return m.r, nil
}

// open loads the structure and a reader together when neither is loaded:
// one store lookup instead of two (store.OpenMessageStructure).
func (m *matcher) open() error {
	if m.r != nil || m.st != nil || m.gone {
		return nil
	}
	m.s.srv.contentReads.Add(1)
	r, st, err := m.s.srv.store.OpenMessageStructure(m.s.ctx, m.s.acct.ID, m.v.mbox.ID, m.v.msgs[m.i].uid)
	if errors.Is(err, store.ErrMessageNotFound) {
		m.gone = true // expunged meanwhile: matches no content criterion
		return nil
	}
	if err != nil {
		return m.s.storeErr(err)
	}
	m.r, m.st = r, st
	return nil
}

func (m *matcher) structure() (*structure.Message, error) {
	if m.st == nil && !m.gone {
		m.s.srv.contentReads.Add(1)
		st, err := m.s.srv.store.Structure(m.s.ctx, m.s.acct.ID, m.v.mbox.ID, m.v.msgs[m.i].uid)
		if errors.Is(err, store.ErrMessageNotFound) {
			m.gone = true
			return nil, nil
		}
		if err != nil {
			return nil, m.s.storeErr(err)
		}
		m.st = st
	}
	return m.st, nil
}

// headerHas: HEADER key value (RFC 9051 §6.4.4), and FROM, TO, CC, BCC,
// SUBJECT, which imapserver turns into HEADER. An empty value matches any
// message with the field; an empty key (TEXT) searches every field.
// Values are unfolded and RFC 2047-decoded, compared case-insensitively.
func (m *matcher) headerHas(key, value string) (bool, error) {
	if m.header == nil {
		if err := m.open(); err != nil {
			return false, err
		}
		st, err := m.structure()
		if err != nil || st == nil {
			return false, err
		}
		r, err := m.reader()
		if err != nil || r == nil {
			return false, err
		}
		raw, err := readHeader(r, &st.Body)
		if err != nil {
			return false, m.s.storeErr(err)
		}
		m.header = decodeHeader(raw)
	}
	needle := strings.ToLower(value)
	for _, f := range m.header {
		if key != "" && !strings.EqualFold(f.name, key) {
			continue
		}
		if needle == "" || strings.Contains(f.value, needle) {
			return true, nil
		}
	}
	return false, nil
}

var wordDecoder = mime.WordDecoder{CharsetReader: charset.Reader}

// decodeHeader unfolds and decodes a raw header; values are lower-cased.
func decodeHeader(raw []byte) []field {
	out := []field{}
	headerFields(raw, func(name string, b []byte) {
		v := b[bytes.IndexByte(b, ':')+1:]
		v = bytes.ReplaceAll(v, []byte("\r\n"), nil)
		v = bytes.ReplaceAll(v, []byte("\n"), nil)
		s := strings.TrimSpace(string(v))
		if dec, err := wordDecoder.DecodeHeader(s); err == nil {
			s = dec
		}
		out = append(out, field{name: name, value: strings.ToLower(s)})
	})
	return out
}

// bodyHas: BODY string (RFC 9051 §6.4.4). The text is every text/* part
// (and the header and text of encapsulated messages), transfer-decoded and
// converted from its charset to UTF-8; other parts are not text.
func (m *matcher) bodyHas(s string) (bool, error) {
	if m.body == nil {
		if err := m.open(); err != nil {
			return false, err
		}
		st, err := m.structure()
		if err != nil || st == nil {
			return false, err
		}
		r, err := m.reader()
		if err != nil || r == nil {
			return false, err
		}
		var b strings.Builder
		if err := appendText(&b, r, &st.Body, true); err != nil {
			return false, m.s.storeErr(err)
		}
		text := strings.ToLower(b.String())
		m.body = &text
	}
	return strings.Contains(*m.body, strings.ToLower(s)), nil
}

func appendText(b *strings.Builder, r io.ReaderAt, p *structure.Part, top bool) error {
	if b.Len() >= maxSearchText {
		return nil
	}
	switch {
	case p.Type == "multipart":
		for i := range p.Children {
			if err := appendText(b, r, &p.Children[i], false); err != nil {
				return err
			}
		}
	case p.Message != nil:
		raw, err := readHeader(r, &p.Message.Body)
		if err != nil {
			return err
		}
		for _, f := range decodeHeader(raw) {
			b.WriteString(f.value)
			b.WriteByte('\n')
		}
		return appendText(b, r, &p.Message.Body, false)
	case p.Type == "text":
		var dec io.Reader = io.NewSectionReader(r, p.BodyStart, p.End-p.BodyStart)
		switch p.Encoding {
		case "base64":
			dec = newBase64Decoder(dec)
		case "quoted-printable":
			dec = tolerant{quotedprintable.NewReader(dec)}
		}
		if cs := paramValue(p.Params, "charset"); cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
			if cr, err := charset.Reader(cs, dec); err == nil {
				dec = tolerant{cr}
			}
		}
		_, err := io.Copy(b, io.LimitReader(dec, int64(maxSearchText-b.Len())))
		if err != nil {
			return err
		}
		b.WriteByte('\n')
	}
	return nil
}

func paramValue(ps []structure.Param, name string) string {
	for _, p := range ps {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}
