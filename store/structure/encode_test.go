package structure

import (
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, tc := range parseTests {
		m, err := Parse(strings.NewReader(tc.in))
		if err != nil {
			t.Fatalf("%s: Parse: %v", tc.name, err)
		}
		if err := roundTrip(m); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestUnmarshalRejects(t *testing.T) {
	m, err := Parse(strings.NewReader(parseTests[5].in))
	if err != nil {
		t.Fatal(err)
	}
	good, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// Every truncation must fail.
	for n := range len(good) {
		var got Message
		if err := got.UnmarshalBinary(good[:n]); !errors.Is(err, errInvalid) {
			t.Fatalf("UnmarshalBinary of %d of %d bytes: got %v, want errInvalid", n, len(good), err)
		}
	}
	bad := map[string][]byte{
		"wrong version":  append([]byte{99}, good[1:]...),
		"trailing bytes": append(append([]byte{}, good...), 0),
	}
	for name, b := range bad {
		var got Message
		if err := got.UnmarshalBinary(b); !errors.Is(err, errInvalid) {
			t.Errorf("%s: got %v, want errInvalid", name, err)
		}
	}
}

func TestMarshalRejectsInvalid(t *testing.T) {
	tests := map[string]*Message{
		"body before header": {Body: Part{HeaderStart: 5, BodyStart: 4, End: 6}},
		"negative lines":     {Body: Part{Lines: -1}},
		"child outside": {Body: Part{End: 10, BodyStart: 2, Children: []Part{
			{HeaderStart: 3, BodyStart: 4, End: 11}}}},
		"message elsewhere": {Body: Part{BodyStart: 2, End: 10, Message: &Message{Body: Part{HeaderStart: 3, BodyStart: 3, End: 3}}}},
		"address kind":      {Envelope: Envelope{To: []Address{{Kind: 7}}}},
	}
	for name, m := range tests {
		if _, err := m.MarshalBinary(); !errors.Is(err, errInvalid) {
			t.Errorf("%s: got %v, want errInvalid", name, err)
		}
	}
}
