package pop3

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net/textproto"
	"regexp"
	"testing"
)

// stuffed writes in through dotStuffer in the pieces that cut gives.
func stuffed(in []byte, cut func(rest int) int) []byte {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	d := &dotStuffer{w: w}
	for p := in; len(p) > 0; {
		k := cut(len(p))
		d.Write(p[:k])
		p = p[k:]
	}
	d.Close()
	w.Flush()
	return b.Bytes()
}

// stuffedByTextproto is net/textproto's DotWriter's output for in.
func stuffedByTextproto(in []byte) []byte {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	tw := textproto.NewWriter(w).DotWriter()
	tw.Write(in)
	tw.Close()
	w.Flush()
	return b.Bytes()
}

// stuffedReference is RFC 1939 §3 written plainly: every line (ended by
// LF, CRLF, or the end of the data) is sent with CRLF, a line starting
// with "." gets another, and ".CRLF" ends it all.
func stuffedReference(in []byte) []byte {
	var out []byte
	lines := bytes.Split(in, []byte("\n"))
	if last := lines[len(lines)-1]; len(last) == 0 && len(in) > 0 {
		lines = lines[:len(lines)-1] // the data ended with a line end
	}
	for _, l := range lines {
		l = bytes.TrimSuffix(l, []byte("\r"))
		if bytes.HasPrefix(l, []byte(".")) {
			out = append(out, '.')
		}
		out = append(append(out, l...), "\r\n"...)
	}
	return append(out, ".\r\n"...)
}

// crNotBeforeLF finds a CR that no LF follows: there textproto's
// DotWriter adds a CR of its own ("\r\r\n" becomes "\r\r\r\n"), which
// would change the octet count a RETR announced, so it is no oracle there.
var crNotBeforeLF = regexp.MustCompile("\r([^\n]|$)")

func checkStuffing(t *testing.T, in []byte, cut func(rest int) int) {
	t.Helper()
	got := stuffed(in, cut)
	if want := stuffedReference(in); !bytes.Equal(want, got) {
		t.Fatalf("%q: want %q, dotStuffer wrote %q", in, want, got)
	}
	if !crNotBeforeLF.Match(in) {
		if want := stuffedByTextproto(in); !bytes.Equal(want, got) {
			t.Fatalf("%q: textproto %q, dotStuffer %q", in, want, got)
		}
	}
}

func TestDotStuffer(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tokens := []string{"a", "b", ".", "\r\n", "\n", "\r"}
	for range 20000 {
		var in []byte
		for range rng.IntN(20) {
			in = append(in, tokens[rng.IntN(len(tokens))]...)
		}
		checkStuffing(t, in, func(rest int) int { return 1 + rng.IntN(rest) })
	}
}

func FuzzDotStuffer(f *testing.F) {
	for _, s := range []string{"", ".", "a\r\n.b\n", "\r", "..\r\r\n\n.", "x"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		k := int(step%16) + 1
		checkStuffing(t, in, func(rest int) int { return min(k, rest) })
	})
}
