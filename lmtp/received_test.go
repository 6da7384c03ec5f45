package lmtp

import (
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// ourReceived matches the Received: header delivery adds (the first one in
// a stored message: it comes before the message's own).
var ourReceived = regexp.MustCompile(`(?m)^Received: from [^\r\n]*\r\n(?:\t[^\r\n]*\r\n)*`)

func TestReceivedHeaderFormat(t *testing.T) {
	now := time.Date(2026, 11, 22, 5, 0, 0, 0, time.FixedZone("", 3600))
	tests := []struct {
		name       string
		lhlo       string
		peer       net.Addr
		from, rcpt string
		want       string
	}{
		{"tcp v4", "mx.example.org", &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 4000}, "s@example.net", "alice+x@example.org",
			"Received: from mx.example.org ([192.0.2.1])\r\n\tby ferry.example with LMTP\r\n\tid 0123abcd\r\n" +
				"\t(envelope-from <s@example.net>)\r\n\tfor <alice+x@example.org>; Sun, 22 Nov 2026 05:00:00 +0100\r\n"},
		{"tcp v6, null sender", "mx", &net.TCPAddr{IP: net.ParseIP("2001:db8::1")}, "", "a@b",
			"Received: from mx ([IPv6:2001:db8::1])\r\n\tby ferry.example with LMTP\r\n\tid 0123abcd\r\n" +
				"\t(envelope-from <>)\r\n\tfor <a@b>; Sun, 22 Nov 2026 05:00:00 +0100\r\n"},
		{"unix socket, no LHLO name", "", &net.UnixAddr{Name: "@", Net: "unix"}, "s@x", "a@b",
			"Received: from unknown\r\n\tby ferry.example with LMTP\r\n\tid 0123abcd\r\n" +
				"\t(envelope-from <s@x>)\r\n\tfor <a@b>; Sun, 22 Nov 2026 05:00:00 +0100\r\n"},
		{"hostile LHLO", "evil\r\nX-Injected: 1 (comment) \\", nil, "s@x", "a@b",
			"Received: from evil??X-Injected: 1 ?comment? ?\r\n\tby ferry.example with LMTP\r\n\tid 0123abcd\r\n" +
				"\t(envelope-from <s@x>)\r\n\tfor <a@b>; Sun, 22 Nov 2026 05:00:00 +0100\r\n"},
	}
	for _, tt := range tests {
		got := receivedHeader(tt.lhlo, tt.peer, "ferry.example", "0123abcd", tt.from, tt.rcpt, now)
		if got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestHeaderSafeBounds(t *testing.T) {
	long := strings.Repeat("é", 300) // 600 bytes
	got := headerSafe(long, "x")
	if len(got) > maxHeaderField || !strings.HasPrefix(long, got) {
		t.Fatalf("headerSafe(600 bytes) = %d bytes, want a prefix of at most %d", len(got), maxHeaderField)
	}
	if got := headerSafe("\xff\xfe", "x"); got != "??" {
		t.Errorf("invalid UTF-8: got %q, want ??", got)
	}
}

// FuzzReceivedHeader: whatever the client sends as LHLO name and
// addresses, the header is one field: it starts with "Received: ", every
// line ends in CRLF and every continuation line starts with a tab.
func FuzzReceivedHeader(f *testing.F) {
	f.Add("mx.example.org", "s@example.net", "alice+x@example.org")
	f.Add("a\r\nb", "<>", "\x00")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, lhlo, from, rcpt string) {
		h := receivedHeader(lhlo, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, "by.example", "id", from, rcpt, time.Unix(0, 0))
		if !strings.HasPrefix(h, "Received: ") || !strings.HasSuffix(h, "\r\n") {
			t.Fatalf("not a header field: %q", h)
		}
		lines := strings.Split(strings.TrimSuffix(h, "\r\n"), "\r\n")
		for i, l := range lines {
			if strings.ContainsAny(l, "\r\n") {
				t.Fatalf("line %d holds a bare CR or LF: %q", i, l)
			}
			if i > 0 && !strings.HasPrefix(l, "\t") {
				t.Fatalf("line %d is not a continuation: %q", i, l)
			}
		}
		if len(lines) != 5 {
			t.Fatalf("%d lines, want 5: %q", len(lines), h)
		}
	})
}

// TestDeliverAddsReceived: a delivered copy carries Return-Path,
// Delivered-To and then Received: with the LHLO name, the peer's address,
// our host name, the transaction id and the recipient.
func TestDeliverAddsReceived(t *testing.T) {
	e := newEnv(t, Options{Hostname: "ferry.test"})
	c := e.dial()
	replies, _ := send(t, c, "s@example.net", []string{"alice@example.org"}, "Subject: r\r\n\r\nbody\r\n")
	if r := replies["alice@example.org"]; r == nil || r.StatusCode != 250 {
		t.Fatalf("delivery: got %+v, want 250", replies)
	}
	acc, mb, msgs := e.inbox("alice")
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	raw := e.rawBody(acc, mb, msgs[0].UID)
	want := regexp.MustCompile(`\AReturn-Path: <s@example.net>\r\nDelivered-To: alice@example.org\r\n` +
		`Received: from mta\.example\.org \(\[127\.0\.0\.1\]\)\r\n\tby ferry\.test with LMTP\r\n\tid [0-9a-f]{16}\r\n` +
		`\t\(envelope-from <s@example\.net>\)\r\n\tfor <alice@example\.org>; [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}\r\n` +
		`Subject: r\r\n\r\nbody\r\n\z`)
	if !want.MatchString(raw) {
		t.Fatalf("stored %q, want Return-Path, Delivered-To, Received, message", raw)
	}
}
