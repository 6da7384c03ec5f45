package structure

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// benchMessage builds a ~50 KB multipart message: text and HTML
// alternatives, a forwarded message and a base64 attachment.
func benchMessage() []byte {
	var b bytes.Buffer
	b.WriteString(crlf("Received: from mx.example.org by mail.example.net; Mon, 1 Jan 2024 00:00:00 +0000",
		"From: \"Alice Example\" <alice@example.org>", "To: Bob <bob@example.net>, team: c@example.com, d@example.com;",
		"Subject: =?utf-8?q?Quarterly_report?=", "Date: Mon, 1 Jan 2024 00:00:00 +0000",
		"Message-ID: <1234@example.org>", "MIME-Version: 1.0",
		"Content-Type: multipart/mixed; boundary=\"=_outer\"", "", "This is a MIME message.",
		"--=_outer", "Content-Type: multipart/alternative; boundary=\"=_alt\"", "",
		"--=_alt", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", ""))
	for i := range 150 {
		fmt.Fprintf(&b, "Line %d of the plain text part, long enough to look like real prose.\r\n", i)
	}
	b.WriteString(crlf("--=_alt", "Content-Type: text/html; charset=utf-8", ""))
	for i := range 150 {
		fmt.Fprintf(&b, "<p>Line %d of the <b>HTML</b> part, long enough to look like real markup.</p>\r\n", i)
	}
	b.WriteString(crlf("--=_alt--", "--=_outer", "Content-Type: message/rfc822", "",
		"From: carol@example.com", "Subject: fwd", "", "Forwarded body.",
		"--=_outer", "Content-Type: application/pdf; name=\"report.pdf\"",
		"Content-Disposition: attachment; filename=\"report.pdf\"", "Content-Transfer-Encoding: base64", ""))
	line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 3)[:76] + "\r\n"
	for b.Len() < 50<<10 {
		b.WriteString(line)
	}
	b.WriteString(crlf("--=_outer--"))
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	msg := benchMessage()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(msg)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchMessage(t *testing.T) {
	msg := benchMessage()
	m, err := Parse(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkStructure(m, msg); err != nil {
		t.Fatal(err)
	}
	if got, want := len(m.Body.Children), 3; got != want {
		t.Errorf("got %d parts, want %d", got, want)
	}
	if got, want := len(m.Body.Children[0].Children), 2; got != want {
		t.Errorf("got %d alternatives, want %d", got, want)
	}
}
