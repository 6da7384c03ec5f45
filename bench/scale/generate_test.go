package main

import (
	"bytes"
	"net/mail"
	"slices"
	"testing"
)

// TestGenerator: the same seed gives the same bytes; messages parse as
// mail with CRLF line ends; sizes have the intended median and tail; the
// rare words are rare but present.
func TestGenerator(t *testing.T) {
	const n = 5000
	g1, g2 := newGenerator(7), newGenerator(7)
	var sizes []int
	var nSubject, nBody int
	for i := uint32(1); i <= n; i++ {
		m := g1.message(i)
		body := slices.Clone(m.body)
		if again := g2.message(i); !bytes.Equal(body, again.body) || !m.date.Equal(again.date) {
			t.Fatalf("message %d differs between two generators with one seed", i)
		}
		if bytes.Contains(bytes.ReplaceAll(body, []byte("\r\n"), nil), []byte("\n")) {
			t.Fatalf("message %d has a bare LF", i)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if bytes.Contains([]byte(msg.Header.Get("Subject")), []byte(rareSubject)) {
			nSubject++
		}
		if bytes.Contains(body, []byte(rareBody)) {
			nBody++
		}
		sizes = append(sizes, len(body))
	}
	slices.Sort(sizes)
	if median := sizes[n/2]; median < 3500 || median > 4800 {
		t.Errorf("median size %d, want about %d", median, medianSize)
	}
	if p999 := sizes[n*999/1000]; p999 < 25000 {
		t.Errorf("99.9th percentile %d, want a long tail (above 25,000)", p999)
	}
	if nSubject == 0 || nSubject > n/200 || nBody < n/200 || nBody > n/50 {
		t.Errorf("%d rare subjects and %d rare bodies in %d messages, want about %d and %d", nSubject, nBody, n, n/1000, n/100)
	}
}
