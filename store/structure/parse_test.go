package structure

import (
	"reflect"
	"strings"
	"testing"
)

// want describes one part of a parse test; the zero value of a field means
// "not checked", except where noted.
type want struct {
	path     []int // nil: the top-level body
	typ      string
	params   []Param
	header   *string // input[HeaderStart:BodyStart]
	body     *string // input[BodyStart:End]
	lines    int64   // checked with body (checkStructure checks all counts against the input)
	children int     // checked always
	message  bool    // whether Message is set, checked always
	encoding string
	disp     string
}

func s(v string) *string { return &v }

type parseTest struct {
	name  string
	in    string
	parts []want
	env   *Envelope
}

var parseTests = []parseTest{
	{
		name: "simple text/plain",
		in: crlf("From: Alice <alice@example.org>", "Subject: hi",
			"Content-Type: text/plain; charset=utf-8", "", "Hello", "World"),
		parts: []want{{
			typ: "text/plain", params: []Param{{"charset", "utf-8"}},
			header: s(crlf("From: Alice <alice@example.org>", "Subject: hi", "Content-Type: text/plain; charset=utf-8", "")),
			body:   s("Hello\r\nWorld\r\n"), lines: 2, encoding: "7bit",
		}, {path: []int{1}, typ: "text/plain", body: s("Hello\r\nWorld\r\n"), lines: 2}},
		env: &Envelope{Subject: "hi", From: []Address{{Name: "Alice", Mailbox: "alice", Host: "example.org"}}},
	},
	{
		name: "no content-type",
		in:   crlf("Subject: x", "", "body"),
		parts: []want{{typ: "text/plain", params: []Param{{"charset", "us-ascii"}},
			body: s("body\r\n"), lines: 1, encoding: "7bit"}},
	},
	{
		name: "unparseable content-type gives the default",
		in:   crlf("Content-Type: text", "", "body"),
		parts: []want{{typ: "text/plain", params: []Param{{"charset", "us-ascii"}},
			body: s("body\r\n"), lines: 1}},
	},
	{
		name: "multipart/mixed with two parts",
		in: crlf("Content-Type: multipart/mixed; boundary=\"XX\"", "",
			"preamble", "--XX", "Content-Type: text/plain", "", "part one",
			"--XX", "Content-Type: text/html", "", "<p>two</p>", "--XX--", "epilogue"),
		parts: []want{
			{typ: "multipart/mixed", children: 2, lines: 11,
				body: s(crlf("preamble", "--XX", "Content-Type: text/plain", "", "part one",
					"--XX", "Content-Type: text/html", "", "<p>two</p>", "--XX--", "epilogue"))},
			{path: []int{1}, typ: "text/plain", header: s(crlf("Content-Type: text/plain", "")), body: s("part one"), lines: 1},
			{path: []int{2}, typ: "text/html", header: s(crlf("Content-Type: text/html", "")), body: s("<p>two</p>"), lines: 1},
		},
	},
	{
		name: "nested multipart/alternative inside multipart/mixed",
		in: crlf("Content-Type: multipart/mixed; boundary=outer", "",
			"--outer", "Content-Type: multipart/alternative; boundary=inner", "",
			"--inner", "Content-Type: text/plain", "", "plain",
			"--inner", "Content-Type: text/html", "", "html",
			"--inner--", "",
			"--outer",
			"Content-Type: application/pdf; name=\"a.pdf\"",
			"Content-Disposition: attachment; filename=\"a.pdf\"",
			"Content-Transfer-Encoding: BASE64", "", "QUJD",
			"--outer--"),
		parts: []want{
			{typ: "multipart/mixed", children: 2},
			{path: []int{1}, typ: "multipart/alternative", children: 2, lines: 9,
				body: s(crlf("--inner", "Content-Type: text/plain", "", "plain",
					"--inner", "Content-Type: text/html", "", "html", "--inner--"))},
			{path: []int{1, 1}, typ: "text/plain", body: s("plain"), lines: 1},
			{path: []int{1, 2}, typ: "text/html", body: s("html"), lines: 1},
			{path: []int{2}, typ: "application/pdf", params: []Param{{"name", "a.pdf"}},
				body: s("QUJD"), lines: 1, encoding: "base64", disp: "attachment"},
		},
	},
	{
		name: "message/rfc822 attachment with its own multipart",
		in: crlf("Subject: outer", "Content-Type: multipart/mixed; boundary=b1", "",
			"--b1", "Content-Type: text/plain", "", "see attached",
			"--b1", "Content-Type: message/rfc822", "",
			"Subject: inner", "From: Inner <inner@example.org>",
			"Content-Type: multipart/alternative; boundary=b2", "",
			"--b2", "Content-Type: text/plain", "", "inner plain",
			"--b2", "Content-Type: text/html", "", "inner html",
			"--b2--",
			"--b1--"),
		parts: []want{
			{typ: "multipart/mixed", children: 2},
			{path: []int{1}, typ: "text/plain", body: s("see attached"), lines: 1},
			{path: []int{2}, typ: "message/rfc822", message: true, lines: 13,
				body: s(crlf("Subject: inner", "From: Inner <inner@example.org>",
					"Content-Type: multipart/alternative; boundary=b2", "",
					"--b2", "Content-Type: text/plain", "", "inner plain",
					"--b2", "Content-Type: text/html", "", "inner html") + "--b2--")},
			{path: []int{2, 1}, typ: "text/plain", body: s("inner plain"), lines: 1},
			{path: []int{2, 2}, typ: "text/html", body: s("inner html"), lines: 1},
		},
		env: &Envelope{Subject: "outer"},
	},
	{
		name: "message/rfc822 with a single-part message",
		in: crlf("Content-Type: message/rfc822", "",
			"Subject: inner", "", "just text"),
		parts: []want{
			{typ: "message/rfc822", message: true, lines: 3},
			{path: []int{1}, typ: "message/rfc822", message: true, lines: 3},
			{path: []int{1, 1}, typ: "text/plain", body: s("just text\r\n"), lines: 1},
		},
	},
	{
		name: "message/rfc822 in base64 stays opaque",
		in: crlf("Content-Type: message/rfc822", "Content-Transfer-Encoding: base64", "",
			"U3ViamVjdDogeA0KDQpib2R5DQo="),
		parts: []want{{typ: "message/rfc822", encoding: "base64", lines: 1}},
	},
	{
		name: "multipart/digest default",
		in: crlf("Content-Type: multipart/digest; boundary=d", "",
			"--d", "", "Subject: one", "", "body one",
			"--d", "Content-Type: text/plain", "", "not a message",
			"--d--"),
		parts: []want{
			{typ: "multipart/digest", children: 2},
			{path: []int{1}, typ: "message/rfc822", message: true, lines: 3,
				header: s("\r\n"), body: s(crlf("Subject: one", "") + "body one")},
			{path: []int{1, 1}, typ: "text/plain", body: s("body one"), lines: 1},
			{path: []int{2}, typ: "text/plain", body: s("not a message"), lines: 1},
		},
	},
	{
		name: "no blank line at all",
		in:   crlf("Subject: x", "From: a@example.org"),
		parts: []want{{typ: "text/plain", header: s(crlf("Subject: x", "From: a@example.org")),
			body: s("")}},
		env: &Envelope{Subject: "x", From: []Address{{Mailbox: "a", Host: "example.org"}}},
	},
	{
		name:  "no blank line and no final line end",
		in:    "Subject: x",
		parts: []want{{typ: "text/plain", header: s("Subject: x"), body: s("")}},
		env:   &Envelope{Subject: "x"},
	},
	{
		name:  "empty input",
		in:    "",
		parts: []want{{typ: "text/plain", header: s(""), body: s("")}},
	},
	{
		name:  "header line without colon is skipped",
		in:    crlf("Subject: x", "this is junk", "From: a@example.org", "", "body"),
		parts: []want{{typ: "text/plain", body: s("body\r\n"), lines: 1}},
		env:   &Envelope{Subject: "x", From: []Address{{Mailbox: "a", Host: "example.org"}}},
	},
	{
		name: "leading mbox From line",
		in:   crlf("From someone@example.org Mon Jan  1 00:00:00 2024", "Subject: s", "", "b"),
		parts: []want{{typ: "text/plain", body: s("b\r\n"), lines: 1,
			header: s(crlf("From someone@example.org Mon Jan  1 00:00:00 2024", "Subject: s", ""))}},
		env: &Envelope{Subject: "s"},
	},
	{
		name: "unterminated multipart",
		in: crlf("Content-Type: multipart/mixed; boundary=u", "",
			"--u", "Content-Type: text/plain", "", "one",
			"--u", "Content-Type: text/plain", "", "two"),
		parts: []want{
			{typ: "multipart/mixed", children: 2},
			{path: []int{1}, typ: "text/plain", body: s("one"), lines: 1},
			{path: []int{2}, typ: "text/plain", body: s("two\r\n"), lines: 1},
		},
	},
	{
		name: "unterminated inner multipart stops at the outer boundary",
		in: crlf("Content-Type: multipart/mixed; boundary=o", "",
			"--o", "Content-Type: multipart/alternative; boundary=i", "",
			"--i", "", "inner one",
			"--o", "", "second",
			"--o--"),
		parts: []want{
			{typ: "multipart/mixed", children: 2},
			{path: []int{1}, typ: "multipart/alternative", children: 1, lines: 3, body: s(crlf("--i", "") + "inner one")},
			{path: []int{1, 1}, typ: "text/plain", body: s("inner one"), lines: 1},
			{path: []int{2}, typ: "text/plain", body: s("second"), lines: 1},
		},
	},
	{
		name: "inner boundary extending the outer one",
		in: crlf("Content-Type: multipart/mixed; boundary=a", "",
			"--a", "Content-Type: multipart/alternative; boundary=a-1", "",
			"--a-1", "", "x", "--a-1--",
			"--a", "", "y", "--a--"),
		parts: []want{
			{typ: "multipart/mixed", children: 2},
			{path: []int{1}, typ: "multipart/alternative", children: 1},
			{path: []int{1, 1}, body: s("x"), lines: 1},
			{path: []int{2}, body: s("y"), lines: 1},
		},
	},
	{
		name: "preamble, epilogue and transport padding",
		in: crlf("Content-Type: multipart/mixed; boundary=p", "",
			"This is the preamble.", "--p \t", "", "x", "", "--p-- ", "This is the epilogue.", ""),
		parts: []want{
			{typ: "multipart/mixed", children: 1, lines: 8,
				body: s(crlf("This is the preamble.", "--p \t", "", "x", "", "--p-- ", "This is the epilogue.", ""))},
			{path: []int{1}, typ: "text/plain", header: s("\r\n"), body: s("x\r\n"), lines: 1},
		},
	},
	{
		name: "empty parts and delimiters back to back",
		in: crlf("Content-Type: multipart/mixed; boundary=e", "",
			"--e", "--e", "", "--e--"),
		parts: []want{
			{typ: "multipart/mixed", children: 2},
			{path: []int{1}, body: s(""), header: s("")},
			{path: []int{2}, body: s(""), header: s("")},
		},
	},
	{
		name: "multipart without boundary",
		in:   crlf("Content-Type: multipart/mixed", "", "--x", "", "y", "--x--"),
		parts: []want{
			{typ: "multipart/mixed", lines: 4},
		},
	},
	{
		name: "bare LF input",
		in: lf("Subject: bare", "Content-Type: multipart/mixed; boundary=XX", "",
			"--XX", "Content-Type: text/plain", "", "part one", "line two",
			"--XX", "", "part two", "--XX--"),
		parts: []want{
			{typ: "multipart/mixed", children: 2},
			{path: []int{1}, typ: "text/plain", header: s("Content-Type: text/plain\n\n"), body: s("part one\nline two"), lines: 2},
			{path: []int{2}, typ: "text/plain", header: s("\n"), body: s("part two"), lines: 1},
		},
		env: &Envelope{Subject: "bare"},
	},
	{
		name: "content fields",
		in: crlf("Content-Type: Text/Plain; Charset=\"UTF-8\"; format=flowed (comment)",
			"Content-ID: <id@example.org>", "Content-Description: a  description ",
			"Content-Transfer-Encoding: Quoted-Printable", "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==",
			"Content-Disposition: INLINE; filename=\"a b.txt\"", "Content-Language: en, de-DE",
			"Content-Location: http://example.org/x", "", "x"),
		parts: []want{{typ: "text/plain", params: []Param{{"charset", "UTF-8"}, {"format", "flowed"}},
			encoding: "quoted-printable", disp: "inline", lines: 1}},
	},
	{
		name: "folded subject and header oddities",
		in: crlf("Subject: hello", " world", "\tagain", "subject: second is ignored",
			"Message-ID : <id@example.org>", "In-Reply-To: <a@b>", "Date: Mon, 1 Jan 2024 00:00:00 +0000",
			"To: undisclosed-recipients:;", "", ""),
		parts: []want{{typ: "text/plain", body: s("\r\n"), lines: 1}},
		env: &Envelope{Subject: "hello world\tagain", MessageID: "<id@example.org>", InReplyTo: "<a@b>",
			Date: "Mon, 1 Jan 2024 00:00:00 +0000",
			To:   []Address{{Kind: AddressGroupStart, Name: "undisclosed-recipients"}, {Kind: AddressGroupEnd}}},
	},
	{
		name:  "8-bit junk and NUL bytes",
		in:    crlf("Subject: caf\xe9\x00 \xff", "\x00\x01junk", "", "\xff\xfe\x00"),
		parts: []want{{typ: "text/plain", body: s("\xff\xfe\x00\r\n"), lines: 1}},
		env:   &Envelope{Subject: "caf\xe9\x00 \xff"},
	},
	{
		name: "header ends at a boundary",
		in: crlf("Content-Type: multipart/mixed; boundary=h", "",
			"--h", "Content-Type: text/html", "--h", "", "z", "--h--"),
		parts: []want{
			{typ: "multipart/mixed", children: 2},
			{path: []int{1}, typ: "text/html", header: s("Content-Type: text/html"), body: s("")},
			{path: []int{2}, body: s("z"), lines: 1},
		},
	},
	{
		name: "message/rfc822 without body",
		in: crlf("Content-Type: multipart/mixed; boundary=m", "",
			"--m", "Content-Type: message/rfc822", "--m--"),
		parts: []want{
			{typ: "multipart/mixed", children: 1},
			{path: []int{1}, typ: "message/rfc822", message: true, body: s("")},
			{path: []int{1, 1}, typ: "text/plain", body: s("")},
		},
	},
}

func TestParse(t *testing.T) {
	for _, tc := range parseTests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(strings.NewReader(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := checkStructure(m, []byte(tc.in)); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.parts {
				checkPart(t, m, tc.in, w)
			}
			if tc.env != nil && !reflect.DeepEqual(m.Envelope, *tc.env) {
				t.Errorf("envelope: got %+v, want %+v", m.Envelope, *tc.env)
			}
		})
	}
}

func checkPart(t *testing.T, m *Message, in string, w want) {
	t.Helper()
	p := &m.Body
	if w.path != nil {
		if p = m.Part(w.path); p == nil {
			t.Errorf("part %v: got nil, want a part", w.path)
			return
		}
	}
	if got := p.Type + "/" + p.Subtype; w.typ != "" && got != w.typ {
		t.Errorf("part %v: got type %s, want %s", w.path, got, w.typ)
	}
	if w.params != nil && !reflect.DeepEqual(p.Params, w.params) {
		t.Errorf("part %v: got params %v, want %v", w.path, p.Params, w.params)
	}
	if got := in[p.HeaderStart:p.BodyStart]; w.header != nil && got != *w.header {
		t.Errorf("part %v: got header %q, want %q", w.path, got, *w.header)
	}
	if got := in[p.BodyStart:p.End]; w.body != nil && got != *w.body {
		t.Errorf("part %v: got body %q, want %q", w.path, got, *w.body)
	}
	if w.body != nil && p.Lines != w.lines {
		t.Errorf("part %v: got %d lines, want %d", w.path, p.Lines, w.lines)
	}
	if len(p.Children) != w.children {
		t.Errorf("part %v: got %d children, want %d", w.path, len(p.Children), w.children)
	}
	if got := p.Message != nil; got != w.message {
		t.Errorf("part %v: got message %v, want %v", w.path, got, w.message)
	}
	if w.encoding != "" && p.Encoding != w.encoding {
		t.Errorf("part %v: got encoding %q, want %q", w.path, p.Encoding, w.encoding)
	}
	if w.disp != "" && p.Disposition != w.disp {
		t.Errorf("part %v: got disposition %q, want %q", w.path, p.Disposition, w.disp)
	}
}
