package mbox

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/importer"
)

type readMsg struct {
	From    string
	Line    int
	Stored  string // header as kept + body
	XUID    string
	CLUsed  bool
	Present []string
}

func readAll(t testing.TB, data string, q Quoting) ([]readMsg, error) {
	t.Helper()
	r := NewReader(strings.NewReader(data), "mbox", q)
	var out []readMsg
	for {
		m, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		body, err := io.ReadAll(m.Body)
		if err != nil {
			return out, err
		}
		var present []string
		for _, h := range []string{"x-imapbase", "x-imap", "x-uid", "status", "x-status", "x-keywords", "content-length", "x-uidl"} {
			if m.Present[h] {
				present = append(present, h)
			}
		}
		out = append(out, readMsg{From: m.FromLine, Line: m.Line, Stored: string(m.Header) + string(body), XUID: m.XUID, CLUsed: m.ContentLengthUsed, Present: present})
	}
}

// The UW/Dovecot example of LEGACY-FORMATS.md §b.3: the pseudo-message,
// then messages whose mbox-internal headers are not stored.
const uwMbox = `From MAILER_DAEMON Wed Jun 16 10:00:00 2010
Date: Wed, 16 Jun 2010 10:00:00 +0300
From: Mail System Internal Data <MAILER-DAEMON@host>
Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA
Message-ID: <1276671600@host>
X-IMAP: 1276671600 0000000042 $Forwarded Junk
Status: RO

This text is part of the internal format of your mail folder, and is not
a real message.  It is created automatically by the mail system software.
If deleted, important folder data will be lost, and it will be re-created
with the data reset to initial values.

From alice@example.com Wed Jun 16 10:05:00 2010
Subject: first
Status: RO
X-Status: A
X-Keywords: $Forwarded                     
X-UID: 41
X-UIDL: qpop-41
Content-Length: 6

hello

From bob@example.com Wed Jun 16 10:06:00 2010
Subject: second
Status: O
X-Keywords:
X-UID: 42

From inside the body, not a separator
bye

`

func TestReaderUW(t *testing.T) {
	got, err := readAll(t, uwMbox, QuoteNone)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d messages, want 3", len(got))
	}
	want := []readMsg{
		{From: "From alice@example.com Wed Jun 16 10:05:00 2010", Line: 14,
			Stored: "Subject: first\nX-UIDL: qpop-41\n\nhello\n", XUID: "41", CLUsed: true,
			Present: []string{"x-uid", "status", "x-status", "x-keywords", "content-length", "x-uidl"}},
		{From: "From bob@example.com Wed Jun 16 10:06:00 2010", Line: 25,
			Stored: "Subject: second\n\nFrom inside the body, not a separator\nbye\n", XUID: "42",
			Present: []string{"x-uid", "status", "x-keywords"}},
	}
	if !strings.HasPrefix(got[0].Stored, "Date: Wed, 16 Jun 2010") || !reflect.DeepEqual(got[0].Present, []string{"x-imap", "status"}) {
		t.Errorf("pseudo-message: got %+v", got[0])
	}
	for i, w := range want {
		if !reflect.DeepEqual(got[i+1], w) {
			t.Errorf("message %d:\ngot  %+v\nwant %+v", i+2, got[i+1], w)
		}
	}
}

// Content-Length counts only where a valid From_ line (or the end) follows
// it; "From " lines inside a valid length are message text.
func TestReaderContentLength(t *testing.T) {
	body := "From here\nFrom x Mon Jan  1 00:00:00 2024\n"
	valid := "From a Mon Jan  1 00:00:00 2024\nContent-Length: " + itoa(len(body)) + "\n\n" + body +
		"\nFrom b Mon Jan  1 00:00:01 2024\nSubject: b\n\nb\n"
	got, err := readAll(t, valid, QuoteNone)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Stored != "\n"+body || !got[0].CLUsed || got[1].Stored != "Subject: b\n\nb" {
		t.Errorf("valid Content-Length: got %+v", got)
	}
	// A length that lands mid-line is ignored: From_ lines split again.
	trap := "From a Mon Jan  1 00:00:00 2024\nContent-Length: 3\n\nabcdef\n\nFrom b Mon Jan  1 00:00:01 2024\n\nb\n"
	got, err = readAll(t, trap, QuoteNone)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Stored != "\nabcdef\n" || got[0].CLUsed {
		t.Errorf("Content-Length trap: got %+v", got)
	}
	// A length past the end of the file is ignored.
	got, _ = readAll(t, "From a Mon Jan  1 00:00:00 2024\nContent-Length: 999\n\nshort\n", QuoteNone)
	if len(got) != 1 || got[0].Stored != "\nshort" || got[0].CLUsed {
		t.Errorf("Content-Length too long: got %+v", got)
	}
	// The length ends the body right at the end of the file.
	got, _ = readAll(t, "From a Mon Jan  1 00:00:00 2024\nContent-Length: 4\n\nabc\n", QuoteNone)
	if len(got) != 1 || got[0].Stored != "\nabc\n" || !got[0].CLUsed {
		t.Errorf("Content-Length to the end: got %+v", got)
	}
}

func TestReaderQuoting(t *testing.T) {
	data := "From a Mon Jan  1 00:00:00 2024\n\n>From one\n>>From two\nFrom three\n"
	tests := []struct {
		q    Quoting
		want string
	}{
		{QuoteNone, "\n>From one\n>>From two\nFrom three"},
		{QuoteMboxO, "\nFrom one\n>>From two\nFrom three"},
		{QuoteMboxRD, "\nFrom one\n>From two\nFrom three"},
	}
	for _, tt := range tests {
		got, err := readAll(t, data, tt.q)
		if err != nil || len(got) != 1 || got[0].Stored != tt.want {
			t.Errorf("quoting %d: got %+v, %v; want %q", tt.q, got, err, tt.want)
		}
	}
}

// Broken input: never a panic, never changed bytes; a file that is not an
// mbox says so.
func TestReaderBroken(t *testing.T) {
	if _, err := readAll(t, "Subject: no From_ line\n\nbody\n", QuoteNone); err == nil {
		t.Errorf("no From_ line: got no error")
	}
	// A header with no body, a truncated file, binary junk, CRLF lines.
	data := "From a Mon Jan  1 00:00:00 2024\nSubject: only a header\nFrom b Mon Jan  1 00:00:01 2024\n\x00\xff\xfe junk\r\n\r\nbody\r\nFrom c Mon Jan  1 00:00:02 2024\nSubject: trunc"
	got, err := readAll(t, data, QuoteNone)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Subject: only a header", "\x00\xff\xfe junk\r\n\r\nbody", "Subject: trunc"}
	if len(got) != 3 {
		t.Fatalf("got %d messages: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].Stored != w {
			t.Errorf("message %d: got %q, want %q", i+1, got[i].Stored, w)
		}
	}
}

func TestParseFromLine(t *testing.T) {
	loc := time.Local
	tests := []struct {
		line string
		want time.Time
		ok   bool
	}{
		{"From alice@example.com Wed Jun 16 10:05:00 2010", time.Date(2010, 6, 16, 10, 5, 0, 0, loc), true},
		{"From MAILER-DAEMON Mon Jan  1 00:00:00 2024", time.Date(2024, 1, 1, 0, 0, 0, 0, loc), true},
		{"From a Wed Jun 16 10:05 2010", time.Date(2010, 6, 16, 10, 5, 0, 0, loc), true},
		{"From a Wed Jun 16 10:05:00 EST 2010", time.Date(2010, 6, 16, 10, 5, 0, 0, loc), true},
		{"From a Wed Jun 16 10:05:00 2010 +0200", time.Date(2010, 6, 16, 10, 5, 0, 0, time.FixedZone("", 7200)), true},
		{"From a b c Wed Jun 16 10:05:00 2010 remote from x", time.Date(2010, 6, 16, 10, 5, 0, 0, loc), true},
		{"From here on a body line", time.Time{}, false},
		{"From a Wed Jun 99 10:05:00 2010", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseFromLine([]byte(tt.line + "\n"))
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("%q: got %v %v, want %v %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

// TestSourceUW reads the UW example as a source: the pseudo-message is not
// a message, X-IMAP gives UIDVALIDITY and UIDNEXT, X-UIDs and flags are
// read, X-UIDL is the UIDL only with UseXUIDL.
func TestSourceUW(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "INBOX")
	if err := os.WriteFile(path, []byte(uwMbox), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, useX := range []bool{false, true} {
		src, err := Open(dir, Options{UseXUIDL: useX})
		if err != nil {
			t.Fatal(err)
		}
		boxes, err := src.Mailboxes(context.Background())
		if err != nil || len(boxes) != 1 {
			t.Fatalf("Mailboxes: %+v, %v", boxes, err)
		}
		mb := boxes[0]
		if mb.Name != "INBOX" || mb.UIDValidity != 1276671600 || mb.UIDNext != 43 {
			t.Errorf("mailbox: got %+v", mb)
		}
		it, err := src.Messages(context.Background(), &mb)
		if err != nil {
			t.Fatal(err)
		}
		var got []importer.Message
		for {
			m, err := it.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			rc, _ := m.Open()
			b, _ := io.ReadAll(rc)
			if bytes.Contains(b, []byte("X-UID:")) || bytes.Contains(b, []byte("Status:")) {
				t.Errorf("%s: mbox-internal header stored: %q", m.Where, b)
			}
			m.Open = nil
			got = append(got, *m)
		}
		it.Close()
		if len(got) != 2 || got[0].UID != 41 || got[1].UID != 42 {
			t.Fatalf("got %+v", got)
		}
		if !reflect.DeepEqual(got[0].Flags, []string{`\Seen`, `\Answered`, "$Forwarded"}) || len(got[1].Flags) != 0 {
			t.Errorf("flags: got %q and %q", got[0].Flags, got[1].Flags)
		}
		if wantUIDL := map[bool]string{false: "", true: "qpop-41"}[useX]; got[0].UIDL != wantUIDL {
			t.Errorf("UseXUIDL %v: UIDL %q, want %q", useX, got[0].UIDL, wantUIDL)
		}
		if got[0].Where != path+":14" || got[0].SourceKey == got[1].SourceKey {
			t.Errorf("where %q, keys %q %q", got[0].Where, got[0].SourceKey, got[1].SourceKey)
		}
	}
}

// X-UID is trusted only while strictly ascending and ≤ uid-last.
func TestSourceXUIDTrust(t *testing.T) {
	var b strings.Builder
	b.WriteString("From a Mon Jan  1 00:00:00 2024\nX-IMAPbase: 100 0000000010\nX-UID: 3\n\n1\n\n")
	for i, uid := range []string{"5", "5", "7", "11"} {
		b.WriteString("From a Mon Jan  1 00:00:0" + itoa(i+1) + " 2024\nX-UID: " + uid + "\n\n" + uid + "\n\n")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "inbox"), []byte(b.String()), 0o600)
	src, _ := Open(filepath.Join(dir, "inbox"), Options{})
	boxes, _ := src.Mailboxes(context.Background())
	it, _ := src.Messages(context.Background(), &boxes[0])
	var uids []uint32
	for {
		m, err := it.Next()
		if err != nil {
			break
		}
		uids = append(uids, uint32(m.UID))
	}
	if want := []uint32{3, 5, 0, 0, 0}; !reflect.DeepEqual(uids, want) {
		t.Errorf("got UIDs %v, want %v", uids, want)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func FuzzReader(f *testing.F) {
	f.Add(uwMbox, uint8(0))
	f.Add("From a Mon Jan  1 00:00:00 2024\nContent-Length: 3\n\nabcdef\n\nFrom b Mon Jan  1 00:00:01 2024\n\nb\n", uint8(1))
	f.Add("From a Mon Jan  1 00:00:00 2024\n\n>From one\n>>From two\nFrom three\n", uint8(2))
	f.Fuzz(func(t *testing.T, data string, q uint8) {
		// Through a bytes.Reader, so that Content-Length is checked too.
		r := NewReader(bytes.NewReader([]byte(data)), "f", Quoting(q%3))
		total := 0
		for i := 0; i < 10000; i++ {
			m, err := r.Next()
			if err != nil {
				break
			}
			n, err := io.Copy(io.Discard, m.Body)
			if err != nil {
				break
			}
			total += len(m.Header) + int(n)
		}
		if total > len(data) {
			t.Fatalf("read %d bytes of messages from %d bytes", total, len(data))
		}
	})
}
