package structure

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func mbox(name, mailbox, host string) Address {
	return Address{Name: name, Mailbox: mailbox, Host: host}
}

func groupStart(name string) Address { return Address{Kind: AddressGroupStart, Name: name} }

var groupEnd = Address{Kind: AddressGroupEnd}

var addressTests = []struct {
	in   string
	want []Address
}{
	{"", nil},
	{"  ", nil},
	{"alice@example.org", []Address{mbox("", "alice", "example.org")}},
	{"Alice <alice@example.org>", []Address{mbox("Alice", "alice", "example.org")}},
	{"Joe Q. Public <john.q.public@example.com>", []Address{mbox("Joe Q. Public", "john.q.public", "example.com")}},
	{"a@b.org, c@d.org", []Address{mbox("", "a", "b.org"), mbox("", "c", "d.org")}},
	// Groups (RFC 5322 §3.4, RFC 9051 §7.5.2).
	{"undisclosed-recipients:;", []Address{groupStart("undisclosed-recipients"), groupEnd}},
	{"Undisclosed recipients:;", []Address{groupStart("Undisclosed recipients"), groupEnd}},
	{"Group: x@y.org, z@w.org;", []Address{groupStart("Group"), mbox("", "x", "y.org"), mbox("", "z", "w.org"), groupEnd}},
	{"a@b.org, G: c@d.org;, e@f.org", []Address{mbox("", "a", "b.org"), groupStart("G"), mbox("", "c", "d.org"), groupEnd, mbox("", "e", "f.org")}},
	{"G: c@d.org", []Address{groupStart("G"), mbox("", "c", "d.org"), groupEnd}},
	{"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
		[]Address{groupStart("A Group"), mbox("Ed Jones", "c", "a.test"), mbox("", "joe", "where.test"), mbox("John", "jdoe", "one.test"), groupEnd}},
	// RFC 5322 Appendix A.5, with comments and folding whitespace.
	{"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
		[]Address{mbox("Pete", "pete", "silly.test")}},
	{"A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)",
		[]Address{groupStart("A Group"), mbox("Chris Jones", "c", "public.example"), mbox("", "joe", "example.org"), mbox("John", "jdoe", "one.test"), groupEnd}},
	// Bare local part.
	{"root", []Address{mbox("", "root", "")}},
	// Quoted display names and local parts.
	{`"Joe \"the man\" Smith" <joe@example.org>`, []Address{mbox(`Joe "the man" Smith`, "joe", "example.org")}},
	{`"Smith, John" <js@example.org>, x@y.org`, []Address{mbox("Smith, John", "js", "example.org"), mbox("", "x", "y.org")}},
	{`"john smith"@example.org`, []Address{mbox("", "john smith", "example.org")}},
	// Encoded words stay raw (RFC 2047 decoding is the client's).
	{"=?utf-8?q?J=C3=B6rg?= =?utf-8?q?_M=C3=BCller?= <j@example.org>",
		[]Address{mbox("=?utf-8?q?J=C3=B6rg?= =?utf-8?q?_M=C3=BCller?=", "j", "example.org")}},
	// Comment as name.
	{"joe@example.org (Joe Bloggs)", []Address{mbox("Joe Bloggs", "joe", "example.org")}},
	{"<joe@example.org> (Joe)", []Address{mbox("Joe", "joe", "example.org")}},
	// Obsolete forms (RFC 5322 §4.4).
	{"Mary Smith <@node.test,@relay.test:mary@example.net>",
		[]Address{{Name: "Mary Smith", Adl: "@node.test,@relay.test", Mailbox: "mary", Host: "example.net"}}},
	{"Mary Smith <@machine.tld:mary@example.net>, , jdoe@test  . example",
		[]Address{{Name: "Mary Smith", Adl: "@machine.tld", Mailbox: "mary", Host: "example.net"}, mbox("", "jdoe", "test.example")}},
	{"john . doe@example.org", []Address{mbox("", "john.doe", "example.org")}},
	{"a@[192.0.2.1]", []Address{mbox("", "a", "[192.0.2.1]")}},
	// One broken element between two good ones.
	{"a@b.org, <>, c@d.org", []Address{mbox("", "a", "b.org"), mbox("", "c", "d.org")}},
	{"a@b.org, Joe <joe@x.org, c@d.org", []Address{mbox("", "a", "b.org"), mbox("Joe", "joe", "x.org"), mbox("", "c", "d.org")}},
	{`a@b.org, "unterminated <x@y.org>, c@d.org`, []Address{mbox("", "a", "b.org"), mbox(`"unterminated`, "x", "y.org"), mbox("", "c", "d.org")}},
	{"a@b.org, (unterminated comment, c@d.org", []Address{mbox("", "a", "b.org"), mbox("", "(unterminatedcomment", ""), mbox("", "c", "d.org")}},
	{"a@b.org, ;;, c@d.org", []Address{mbox("", "a", "b.org"), mbox("", "c", "d.org")}},
	// A missing comma.
	{"A <a@x.org> B <b@y.org>", []Address{mbox("A", "a", "x.org"), mbox("B", "b", "y.org")}},
	// An address used as display name.
	{"joe@x.org <joe@x.org>", []Address{mbox("joe@x.org", "joe", "x.org")}},
	// 8-bit names are kept byte for byte.
	{"J\xf6rg <j@x.org>", []Address{mbox("J\xf6rg", "j", "x.org")}},
}

func TestParseAddressList(t *testing.T) {
	for _, tc := range addressTests {
		if got := parseAddressList(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseAddressList(%q): got %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// TestEnvelopeAddresses checks the address fields reach the envelope,
// folded, with the first of repeated fields used.
func TestEnvelopeAddresses(t *testing.T) {
	in := crlf("From: Alice <alice@example.org>", "Sender: s@example.org", "Reply-To: r@example.org",
		"To: root,", " Group: x@y.org, z@w.org;", "Cc: Group: x@y.org, z@w.org;", "Bcc: b@example.org",
		"To: ignored@example.org", "", "body")
	m, err := Parse(stringsReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Envelope{
		From:    []Address{mbox("Alice", "alice", "example.org")},
		Sender:  []Address{mbox("", "s", "example.org")},
		ReplyTo: []Address{mbox("", "r", "example.org")},
		To:      []Address{mbox("", "root", ""), groupStart("Group"), mbox("", "x", "y.org"), mbox("", "z", "w.org"), groupEnd},
		Cc:      []Address{groupStart("Group"), mbox("", "x", "y.org"), mbox("", "z", "w.org"), groupEnd},
		Bcc:     []Address{mbox("", "b", "example.org")},
	}
	if !reflect.DeepEqual(m.Envelope, want) {
		t.Errorf("got %+v, want %+v", m.Envelope, want)
	}
}

// pathologicalAddressLists are inputs that would cost quadratic time with
// naive rescanning of unterminated quotes, comments and domain literals.
var pathologicalAddressLists = []string{"(", "\"\\", "[", "a(", "<", "a:", "<>", "@"}

// TestAddressListPathological checks that the pathological inputs parse to a
// bounded result. Their cost is measured by BenchmarkAddressListPathological
// (no test here fails on a timing: the machines are shared and noisy).
func TestAddressListPathological(t *testing.T) {
	for _, c := range pathologicalAddressLists {
		in := strings.Repeat(c, maxFieldLen/len(c))
		if out := parseAddressList(in); len(out) > len(in) {
			t.Errorf("parseAddressList(%q × %d): %d addresses", c, maxFieldLen/len(c), len(out))
		}
	}
}

// BenchmarkAddressListPathological reports the cost per input byte of the
// pathological lists; a quadratic regression shows as ns/byte growing with
// the size (compare -bench output at 16 KiB and 64 KiB).
func BenchmarkAddressListPathological(b *testing.B) {
	for _, c := range pathologicalAddressLists {
		for _, n := range []int{16 << 10, maxFieldLen} {
			in := strings.Repeat(c, n/len(c))
			b.Run(fmt.Sprintf("%q/%d", c, n), func(b *testing.B) {
				b.SetBytes(int64(len(in)))
				for b.Loop() {
					parseAddressList(in)
				}
			})
		}
	}
}
