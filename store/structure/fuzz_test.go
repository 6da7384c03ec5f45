package structure

import (
	"bytes"
	"testing"
	"testing/iotest"
)

func addSeeds(f *testing.F) {
	for _, tc := range parseTests {
		f.Add([]byte(tc.in))
	}
	for _, tc := range addressTests {
		f.Add([]byte("To: " + tc.in + "\r\n\r\n"))
	}
}

// FuzzParse checks that Parse never panics, that its result keeps the
// offset invariants, that it does not depend on how the input is read, and
// that it round-trips through MarshalBinary and UnmarshalBinary.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := Parse(bytes.NewReader(in))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if err := checkStructure(m, in); err != nil {
			t.Fatal(err)
		}
		if err := roundTrip(m); err != nil {
			t.Fatal(err)
		}
		small, err := parse(iotest.HalfReader(bytes.NewReader(in)), 16)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		if err := sameStructure(small, m); err != nil {
			t.Fatalf("16-byte buffer: %v", err)
		}
	})
}

// FuzzUnmarshal checks that arbitrary bytes never make UnmarshalBinary
// panic, and that whatever it accepts encodes back to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	for _, tc := range parseTests {
		m, err := Parse(bytes.NewReader([]byte(tc.in)))
		if err != nil {
			f.Fatal(err)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if err := m.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary of a decoded structure: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding: got %x, want %x", again, b)
		}
	})
}

// FuzzAddressList checks the address parser alone, where the fuzzer gets
// further faster than through a whole message.
func FuzzAddressList(f *testing.F) {
	for _, tc := range addressTests {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, a := range parseAddressList(s) {
			if a.Kind == AddressMailbox && a.Mailbox == "" && a.Host == "" {
				t.Fatalf("parseAddressList(%q): empty mailbox %+v", s, a)
			}
		}
	})
}
