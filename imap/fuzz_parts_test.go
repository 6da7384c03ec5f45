package imap

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/ferrymail/ferrymail/store/structure"
)

// FuzzSections: for any message, every section, HEADER.FIELDS filter,
// BINARY decoding, ENVELOPE and BODYSTRUCTURE conversion stays inside the
// message and does not panic.
func FuzzSections(f *testing.F) {
	f.Add([]byte(simpleMsg), []byte{1})
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\nTo: a, b@c, g:;\r\n\r\nx\r\n--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\nc=ZZ\r\n--b--\r\n"), []byte{2, 3, 1})
	f.Add([]byte("From x\r\nno colon\r\n  cont\r\nSubject: s\r\n"), []byte{})
	f.Fuzz(func(t *testing.T, msg []byte, path []byte) {
		st, err := structure.Parse(bytes.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		r := bytes.NewReader(msg)
		size := int64(len(msg))
		envelope(&st.Envelope)
		bs := bodyStructure(&st.Body)
		if mp, ok := bs.(*imap.BodyStructureMultiPart); ok && len(mp.Children) == 0 {
			t.Fatal("multipart without children")
		}
		part := make([]int, 0, len(path))
		for _, p := range path[:min(len(path), 4)] {
			part = append(part, int(p%5))
		}
		specs := []imap.PartSpecifier{imap.PartSpecifierNone, imap.PartSpecifierHeader, imap.PartSpecifierText, imap.PartSpecifierMIME}
		for _, spec := range specs {
			if spec == imap.PartSpecifierMIME && len(part) == 0 {
				continue
			}
			for _, fields := range [][]string{nil, {"Subject", "To"}} {
				sec := &imap.FetchItemBodySection{Part: part, Specifier: spec}
				if spec == imap.PartSpecifierHeader {
					sec.HeaderFields = fields
				}
				sp, err := bodySpan(r, size, st, sec)
				if err != nil {
					t.Fatal(err)
				}
				if sp.buf == nil && (sp.off < 0 || sp.n < 0 || sp.off+sp.n > size) {
					t.Fatalf("section %v %s out of bounds: %+v of %d", part, spec, sp, size)
				}
				off, n := partial(&imap.SectionPartial{Offset: 3, Size: 7}, sp.size())
				var out bytes.Buffer
				if err := writeSpan(&out, r, sp, off, n); err != nil || int64(out.Len()) != n {
					t.Fatalf("writeSpan: %v, %d of %d", err, out.Len(), n)
				}
			}
		}
		if open, err := binarySource(r, size, st, part); err == nil {
			n1, _ := decodedSize(open)
			n2, _ := io.Copy(io.Discard, open())
			if n1 != n2 {
				t.Fatalf("BINARY decodes to %d then %d bytes", n1, n2)
			}
		}
	})
}

// FuzzListMatch: the linear-time LIST matcher agrees with imapserver's
// backtracking MatchList (on short inputs, where that one is fast).
func FuzzListMatch(f *testing.F) {
	f.Add("Work/Projects/2026", "", "*")
	f.Add("Work/Projects", "Work", "%")
	f.Add("a/b/c", "", "a/%/c")
	f.Add("abc", "", "a*b*c")
	f.Fuzz(func(t *testing.T, name, ref, pattern string) {
		if len(name) > 40 || len(pattern) > 12 || len(ref) > 10 || strings.HasPrefix(strings.ToUpper(ref+pattern), "INBOX") || strings.HasPrefix(strings.ToUpper(name), "INBOX") {
			return
		}
		got := matchList(name, ref, pattern)
		want := imapserver.MatchList(name, delim, ref, pattern)
		if got != want {
			t.Fatalf("matchList(%q, %q, %q) = %v, imapserver.MatchList says %v", name, ref, pattern, got, want)
		}
	})
}
