package lmtp

import (
	"strings"
	"testing"
)

func TestSplitDetail(t *testing.T) {
	tests := []struct {
		addr, delims, base, detail string
		ok                         bool
	}{
		{"alice+lists@example.org", "+", "alice@example.org", "lists", true},
		{"alice+a+b@example.org", "+", "alice@example.org", "a+b", true},
		{"alice+@example.org", "+", "alice@example.org", "", true},
		{"alice-x@example.org", "+-", "alice@example.org", "x", true},
		{"alice@example.org", "+", "alice@example.org", "", false},
		{"+x@example.org", "+", "+x@example.org", "", false},
		{"alice+x", "+", "alice", "x", true},
		{"alice+x@example.org", "", "alice+x@example.org", "", false},
		{"a+b@c+d@example.org", "+", "a@example.org", "b@c+d", true},
	}
	for _, tt := range tests {
		base, detail, ok := splitDetail(tt.addr, tt.delims)
		if base != tt.base || detail != tt.detail || ok != tt.ok {
			t.Errorf("splitDetail(%q, %q) = %q, %q, %v; want %q, %q, %v",
				tt.addr, tt.delims, base, detail, ok, tt.base, tt.detail, tt.ok)
		}
	}
}

// FuzzSplitDetail: the base and the detail with the delimiter between them
// give back the address; the domain is never touched.
func FuzzSplitDetail(f *testing.F) {
	f.Add("alice+lists@example.org", "+")
	f.Add("+@", "+-")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, addr, delims string) {
		base, detail, ok := splitDetail(addr, delims)
		if !ok {
			if base != addr || detail != "" {
				t.Fatalf("not split, but got %q, %q", base, detail)
			}
			return
		}
		at := strings.LastIndexByte(addr, '@')
		domain := ""
		if at >= 0 {
			domain = addr[at:]
		}
		if !strings.HasSuffix(base, domain) {
			t.Fatalf("base %q lost the domain %q", base, domain)
		}
		user := strings.TrimSuffix(base, domain)
		if user == "" || strings.ContainsAny(user, delims) {
			t.Fatalf("user part %q is empty or holds a delimiter", user)
		}
		if len(user)+1+len(detail)+len(domain) != len(addr) || !strings.HasPrefix(addr, user) ||
			!strings.HasSuffix(strings.TrimSuffix(addr, domain), detail) {
			t.Fatalf("%q does not recompose from %q + detail %q", addr, base, detail)
		}
	})
}

// TestDeliverToDetailAddress: alice+lists@example.org is delivered to
// alice's INBOX with Delivered-To keeping the full address; an account
// named with the delimiter in it still gets its own mail; an unknown user
// with a detail is still unknown.
func TestDeliverToDetailAddress(t *testing.T) {
	e := newEnv(t, Options{})
	if _, err := e.st.CreateAccount(t.Context(), "carol+work", "secret"); err != nil {
		t.Fatal(err)
	}
	c := e.dial()
	replies, rcptErrs := send(t, c, "s@example.net",
		[]string{"alice+lists@example.org", "bob+x@example.org", "carol+work@example.org", "nobody+x@example.org"},
		"Subject: d\r\n\r\nbody\r\n")
	for _, to := range []string{"alice+lists@example.org", "bob+x@example.org", "carol+work@example.org"} {
		if r := replies[to]; r == nil || r.StatusCode != 250 {
			t.Errorf("%s: got %+v (rcpt error %v), want 250", to, r, rcptErrs[to])
		}
	}
	if code := smtpCode(rcptErrs["nobody+x@example.org"]); code != 550 {
		t.Errorf("nobody+x: RCPT got %d, want 550", code)
	}
	for _, want := range []struct{ account, rcpt string }{
		{"alice", "alice+lists@example.org"},
		{"bob@example.org", "bob+x@example.org"},
		{"carol+work", "carol+work@example.org"},
	} {
		acc, mb, msgs := e.inbox(want.account)
		if len(msgs) != 1 {
			t.Errorf("%s: %d messages, want 1", want.account, len(msgs))
			continue
		}
		got := e.body(acc, mb, msgs[0].UID)
		if wantPrefix := "Return-Path: <s@example.net>\r\nDelivered-To: " + want.rcpt + "\r\n"; !strings.HasPrefix(got, wantPrefix) {
			t.Errorf("%s: stored %q, want it to start %q", want.account, got, wantPrefix)
		}
	}
}
