package uidl

import (
	"errors"
	"testing"
)

func TestSchemes(t *testing.T) {
	// UIDVALIDITY 1275660208 and UID 25006 (LEGACY-FORMATS.md §b.3, §b.4).
	v := Vars{UID: 25006, UIDValidity: 1275660208, Filename: "1276528487.M364837P9451.kurkku", GUID: "g1", MD5: "abc"}
	tests := []struct{ scheme, want string }{
		{"dovecot", "000061ae4c0907b0"},
		{"uw", "4c0907b0000061ae"},
		{"cyrus", "1275660208.25006"},
		{"%08Xu%08Xv", "000061ae4c0907b0"},
		{"%08Xv%08Xu", "4c0907b0000061ae"},
		{"%v.%u", "1275660208.25006"},
		{"%v-%u", "1275660208-25006"},
		{"%u", "25006"},
		{"%v%u", "127566020825006"}, // Stalwart
		{"%f", "1276528487.M364837P9451.kurkku"},
		{"%g", "g1"},
		{"UID%u-%v", "UID25006-1275660208"},
		{"%{uid | hex(8)}%{uidvalidity | hex(8)}", "000061ae4c0907b0"}, // Dovecot 2.4 default
		{"%{uidvalidity}.%{uid}", "1275660208.25006"},
		{"md5", "abc"},
		{"100%%%u", "100%25006"},
		{"courier", ""},
		{"xuidl", ""},
	}
	for _, tt := range tests {
		sc, err := Parse(tt.scheme)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.scheme, err)
			continue
		}
		if got := sc.Render(v); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.scheme, got, tt.want)
		}
	}
	// A variable that the source does not know renders nothing.
	sc, _ := Parse("%f")
	if got := sc.Render(Vars{UID: 1}); got != "" {
		t.Errorf("%%f without a filename: got %q, want \"\"", got)
	}
}

func TestParseInvalid(t *testing.T) {
	for _, s := range []string{"", "%", "%q", "a b", "%{uid", "%{nope}", "%{uid | lower}", "plain", "%99u"} {
		if _, err := Parse(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q): got %v, want ErrInvalid", s, err)
		}
	}
}

func TestCourier(t *testing.T) {
	if got, want := CourierUID(1283, 1276529134), "UID1283-1276529134"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := CourierUID(7, 0), "UID7"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := CourierV0(`1.M2P3.host name+'x"`), "1.M2P3.host+20name+2B+27x+22"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestHeaderMD5(t *testing.T) {
	feed := func(lines ...string) string {
		m := NewHeaderMD5()
		for _, l := range lines {
			m.Line([]byte(l))
		}
		return m.Sum()
	}
	// Only the first Received counts, and Date/Message-ID after it do not.
	a := feed("Date: x", "Received: from a", "\tby b", "Received: from c", "Message-ID: <m>", "Subject: s")
	b := feed("Date: x", "Received: from a", "\tby b", "Subject: other")
	if a != b {
		t.Errorf("got %s and %s, want equal hashes", a, b)
	}
	// The continuation is part of the hash.
	if c := feed("Date: x", "Received: from a", "\tby c"); c == a {
		t.Errorf("continuation line not hashed")
	}
	// Date before Received counts.
	if d := feed("Date: y", "Received: from a", "\tby b"); d == a {
		t.Errorf("Date before Received not hashed")
	}
}
