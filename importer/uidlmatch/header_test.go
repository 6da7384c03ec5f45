package uidlmatch

import (
	"strings"
	"testing"
)

func hashOf(t *testing.T, s string) (Hash, bool) {
	t.Helper()
	h, complete, err := HeaderHash(strings.NewReader(s))
	if err != nil {
		t.Fatalf("HeaderHash(%q): %v", s, err)
	}
	return h, complete
}

// Each pair is the same message as two legacy servers' views show it
// (LEGACY-FORMATS.md §b.5): the hashes must agree.
func TestHeaderHashEqual(t *testing.T) {
	base := "From: a@example.org\r\nSubject: hello world\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n"
	for _, tc := range []struct{ name, other string }{
		{"LF line ends", strings.ReplaceAll(base, "\r\n", "\n")},
		{"header only (TOP n 0)", "From: a@example.org\r\nSubject: hello world\r\nMessage-ID: <1@x>\r\n\r\n"},
		{"different body", strings.Replace(base, "body", "another body", 1)},
		{"Return-Path added (Yahoo IMAP)", "Return-Path: <a@example.org>\r\n" + base},
		{"Status and X-UID added (mbox)", strings.Replace(base, "\r\n\r\n", "\r\nStatus: RO\r\nX-UID: 17\r\nX-Keywords: $Label1\r\n\r\n", 1)},
		{"skipped field with continuation", strings.Replace(base, "\r\n\r\n", "\r\nX-IMAPbase: 1 2\r\n  more\r\n\r\n", 1)},
		{"case of a skipped name", "RETURN-PATH: <x>\r\n" + base},
		{"trailing white space trimmed (Zimbra)", strings.Replace(base, "hello world", "hello world  \t", 1)},
		{"spaces dropped", strings.Replace(base, "hello world", "helloworld", 1)},
		{"line without a colon (Zimbra)", strings.Replace(base, "Subject", "garbage line\r\nSubject", 1)},
		{"invalid field name (Yahoo)", strings.Replace(base, "Subject", "Bad Name: x\r\nSubject", 1)},
		{"white-space-only continuation", strings.Replace(base, "hello world\r\n", "hello world\r\n \t\r\n", 1)},
		{"CR CR LF ends the header", strings.Replace(base, "\r\n\r\n", "\r\n\r\r\n", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, _ := hashOf(t, base)
			got, complete := hashOf(t, tc.other)
			if got != want {
				t.Errorf("hash of %q differs from the base message's", tc.other)
			}
			if !complete {
				t.Errorf("complete = false for %q", tc.other)
			}
		})
	}
}

func TestHeaderHash8Bit(t *testing.T) {
	a, _ := hashOf(t, "Subject: caf\xc3\xa9\r\n\r\n")
	b, _ := hashOf(t, "Subject: caf?\r\n\r\n")
	c, _ := hashOf(t, "Subject: caf\x80\x80\x80\r\n\r\n")
	if a != b || b != c {
		t.Errorf("8-bit bytes, '?' and runs of them hash differently")
	}
}

func TestHeaderHashDiffers(t *testing.T) {
	base := "From: a@example.org\r\nSubject: hello\r\n\r\n"
	for _, other := range []string{
		"From: a@example.org\r\nSubject: hellO\r\n\r\n",
		"From: b@example.org\r\nSubject: hello\r\n\r\n",
		"From: a@example.org\r\nSubject: hello\r\nDate: now\r\n\r\n",
		"From: a@example.org\r\nSubject: hello\r\n more\r\n\r\n",
	} {
		x, _ := hashOf(t, base)
		y, _ := hashOf(t, other)
		if x == y {
			t.Errorf("%q and %q hash alike", base, other)
		}
	}
}

// A header that ends without its empty line is reported incomplete, so the
// caller hashes the whole message instead.
func TestHeaderHashIncomplete(t *testing.T) {
	full, complete := hashOf(t, "From: a\r\nSubject: b\r\n\r\nbody")
	if !complete {
		t.Fatal("complete message reported incomplete")
	}
	cut, complete := hashOf(t, "From: a\r\nSubject: b\r\n")
	if complete {
		t.Error("truncated header reported complete")
	}
	if cut != full {
		t.Error("the truncated header hashes differently from its complete form")
	}
	if _, complete := hashOf(t, ""); complete {
		t.Error("empty input reported complete")
	}
}

func TestHeaderHashLongLine(t *testing.T) {
	long := "Subject: " + strings.Repeat("x", 100_000) + "\r\n\r\n"
	a, complete := hashOf(t, long)
	b, _ := hashOf(t, strings.Replace(long, "xxx", "xx x", 1))
	if !complete || a != b {
		t.Errorf("a 100 kB header line: complete %v, spaces not ignored", complete)
	}
}

func FuzzHeaderHash(f *testing.F) {
	for _, s := range []string{
		"From: a@example.org\r\nSubject: hello\r\n\r\nbody\r\n",
		"Subject: caf\xc3\xa9\n\n",
		"X-UID: 1\r\n\tcont\r\n\r\r\n",
		"no colon\r\n :\r\n\r\n",
		"",
		"\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h1, c1, err := HeaderHash(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("HeaderHash: %v", err)
		}
		// Deterministic, and LF or CRLF line ends make no difference.
		h2, c2, err := HeaderHash(strings.NewReader(strings.ReplaceAll(string(b), "\r\n", "\n")))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "\r\r\n") && !strings.Contains(string(b), "\r\r") && (h1 != h2 || c1 != c2) {
			t.Errorf("CRLF and LF forms of %q hash differently", b)
		}
	})
}
