package mutf7

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func TestDecode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"INBOX", "INBOX"},
		{"&-", "&"},
		{"Tom &- Jerry", "Tom & Jerry"},
		// RFC 3501 §5.1.3's example.
		{"~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/台北/日本語"},
		{"Entw&APw-rfe", "Entwürfe"},
		{"&AMQA1gDc-", "ÄÖÜ"},
		{"&2D3eAA-", "😀"}, // a surrogate pair
		{"Gel&APY-schte Elemente", "Gelöschte Elemente"},
	}
	for _, tt := range tests {
		got, err := Decode(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Decode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if enc := Encode(tt.want); enc != tt.in && tt.in != "INBOX" {
			t.Errorf("Encode(%q) = %q, want %q", tt.want, enc, tt.in)
		}
	}
}

func TestDecodeInvalid(t *testing.T) {
	for _, in := range []string{
		"&U,BTFw",       // unterminated
		"&AGE-",         // encodes "a"
		"&Jjo-&U,BTFw-", // two adjacent runs
		"&2D0-",         // lone high surrogate
		"&3gA-",         // lone low surrogate
		"&AMR-",         // non-zero padding bits
		"&A-",           // too short for one unit
		"caf\xc3\xa9",   // raw 8-bit
		"a\tb",          // control character
		"&U/BTFw-",      // '/' is not in the modified alphabet
	} {
		if got, err := Decode(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("Decode(%q) = %q, %v; want ErrInvalid", in, got, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"INBOX", "&-", "~peter/mail/&U,BTFw-/&ZeVnLIqe-", "&2D3eAA-", "&AGE-", "&", "&AMR-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dec, err := Decode(s)
		if err != nil {
			return
		}
		if !utf8.ValidString(dec) {
			t.Fatalf("Decode(%q) = %q: not UTF-8", s, dec)
		}
		// Strict decoding accepts only canonical input: re-encoding gives it back.
		if enc := Encode(dec); enc != s {
			t.Fatalf("Encode(Decode(%q)) = %q", s, enc)
		}
	})
}

func FuzzEncode(f *testing.F) {
	f.Add("Entwürfe & 日本語 😀")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		dec, err := Decode(Encode(s))
		if err != nil || dec != s {
			t.Fatalf("Decode(Encode(%q)) = %q, %v", s, dec, err)
		}
	})
}
