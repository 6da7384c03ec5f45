package structure

import (
	"strings"
	"testing"
)

// TestPartPath checks section numbering (RFC 9051 §6.4.5) by the body each
// path selects; "" means no such part.
func TestPartPath(t *testing.T) {
	mixed := crlf("Content-Type: multipart/mixed; boundary=b1", "",
		"--b1", "", "one",
		"--b1", "Content-Type: message/rfc822", "",
		"Subject: inner", "Content-Type: multipart/alternative; boundary=b2", "",
		"--b2", "", "inner plain",
		"--b2", "", "inner html",
		"--b2--",
		"--b1", "Content-Type: message/rfc822", "",
		"Subject: single", "", "single body",
		"--b1--")
	single := crlf("Subject: s", "", "only")
	tests := []struct {
		in   string
		path []int
		want string
	}{
		{single, []int{1}, "only\r\n"},
		{single, nil, ""},
		{single, []int{2}, ""},
		{single, []int{1, 1}, ""},
		{single, []int{0}, ""},
		{mixed, []int{1}, "one"},
		{mixed, []int{0}, ""},
		{mixed, []int{4}, ""},
		{mixed, []int{2, 1}, "inner plain"},
		{mixed, []int{2, 2}, "inner html"},
		{mixed, []int{2, 3}, ""},
		{mixed, []int{2, 1, 1}, ""},
		{mixed, []int{3, 1}, "single body"},
		{mixed, []int{3, 1, 1}, ""},
		{mixed, []int{3, 2}, ""},
		{mixed, []int{1, 1}, ""},
	}
	for _, tc := range tests {
		m, err := Parse(strings.NewReader(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if p := m.Part(tc.path); p != nil {
			got = tc.in[p.BodyStart:p.End]
		}
		if got != tc.want {
			t.Errorf("Part(%v): got body %q, want %q", tc.path, got, tc.want)
		}
	}
	// The message/rfc822 part itself, and its size.
	m, err := Parse(strings.NewReader(mixed))
	if err != nil {
		t.Fatal(err)
	}
	p := m.Part([]int{3})
	if p == nil || p.Message == nil || p.Message.Envelope.Subject != "single" {
		t.Fatalf("Part([3]): got %+v, want the message/rfc822 part with subject single", p)
	}
	if got, want := p.Size(), int64(len(crlf("Subject: single", "", "single body"))-2); got != want {
		t.Errorf("Size: got %d, want %d", got, want)
	}
}
