package imap

import (
	"fmt"
	"strings"
	"testing"
)

// imapclient drops the answers to "FETCH $" (it matches them against the
// set it sent), so SEARCHRES is checked on the wire.
func TestSearchResSave(t *testing.T) {
	e := newTestEnv(t)
	e.deliver("INBOX", simpleMsg)
	e.deliver("INBOX", simpleMsg, `\Flagged`)
	e.deliver("INBOX", simpleMsg, `\Flagged`)
	r := e.raw()
	r.login()
	r.mustOK("SELECT INBOX")
	u := r.mustOK("UID SEARCH RETURN (SAVE MIN) FLAGGED")
	if len(u) != 1 || !strings.HasPrefix(u[0], `* ESEARCH (TAG "t3") UID MIN 2`) {
		t.Errorf("ESEARCH: %q", u)
	}
	if u := r.mustOK("FETCH $ (UID)"); len(u) != 1 || u[0] != "* 2 FETCH (UID 2)\r\n" {
		t.Errorf("FETCH $ after SAVE MIN: %q", u)
	}
	r.mustOK("SEARCH RETURN (SAVE) FLAGGED")
	if u := r.mustOK("UID FETCH $ (FLAGS)"); len(u) != 2 {
		t.Errorf("UID FETCH $: %q", u)
	}
	if u := r.mustOK("SEARCH $ UNFLAGGED"); len(u) != 1 || u[0] != "* ESEARCH (TAG \"t6\")\r\n" && u[0] != "* SEARCH\r\n" {
		t.Errorf("SEARCH $ UNFLAGGED: %q", u)
	}
}

// BODY[] is the stored bytes, exactly RFC822.SIZE long, also for a message
// that starts with an mbox "From " line and has no header/body separator.
func TestBodyExactBytes(t *testing.T) {
	e := newTestEnv(t)
	msgs := []string{
		"From alice@example.org Mon Jan  2 15:04:05 2006\r\nSubject: mbox\r\n\r\nbody\r\n",
		"no header at all, no blank line",
		"Subject: only header\r\n",
		"Subject: x\r\n\r\n\x00\x01binary\xff\r\n",
	}
	for _, m := range msgs {
		e.deliver("INBOX", m)
	}
	r := e.raw()
	r.login()
	r.mustOK("EXAMINE INBOX")
	for i, m := range msgs {
		stored := m
		if !strings.HasSuffix(stored, "\n") && i == 1 {
			stored = m // stored as given
		}
		u := r.mustOK("FETCH %d (RFC822.SIZE BODY.PEEK[])", i+1)
		want := fmt.Sprintf("* %d FETCH (UID %d RFC822.SIZE %d BODY[] {%d}\r\n%s)\r\n", i+1, i+1, len(stored), len(stored), stored)
		if len(u) != 1 || u[0] != want {
			t.Errorf("message %d:\n got %q\nwant %q", i+1, u, want)
		}
	}
	// Partial fetches cut the stored bytes.
	u := r.mustOK("FETCH 1 (BODY.PEEK[]<5.10>)")
	if want := "* 1 FETCH (UID 1 BODY[]<5> {10}\r\n" + msgs[0][5:15] + ")\r\n"; u[0] != want {
		t.Errorf("partial: got %q want %q", u[0], want)
	}
	u = r.mustOK("FETCH 1 (BODY.PEEK[]<1000.10>)")
	if want := "* 1 FETCH (UID 1 BODY[]<1000> {0}\r\n)\r\n"; u[0] != want {
		t.Errorf("partial past the end: got %q want %q", u[0], want)
	}
}

func TestSections(t *testing.T) {
	e := newTestEnv(t)
	msg := "From: a@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n" +
		"preamble\r\n--XX\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n" +
		"--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gYmluYXJ5\r\n" +
		"--XX\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nTo: root\r\nCc: undisclosed-recipients:;\r\n\r\ninner body\r\n" +
		"--XX--\r\n"
	e.deliver("INBOX", msg)
	r := e.raw()
	r.login()
	r.mustOK("SELECT INBOX")
	check := func(item, want string) {
		t.Helper()
		u := r.mustOK("FETCH 1 (%s)", item)
		if len(u) != 1 || !strings.Contains(u[0], want) {
			t.Errorf("%s: got %q, want it to contain %q", item, u, want)
		}
	}
	check("BODY.PEEK[1]", "BODY[1] {10}\r\nfirst part)")
	check("BODY.PEEK[1.MIME]", "BODY[1.MIME] {28}\r\nContent-Type: text/plain\r\n\r\n)")
	check("BODY.PEEK[3.HEADER]", "{58}\r\nSubject: inner\r\nTo: root\r\nCc: undisclosed-recipients:;\r\n\r\n)")
	check("BODY.PEEK[3.TEXT]", "{10}\r\ninner body)")
	check("BODY.PEEK[HEADER.FIELDS (SUBJECT)]", "{18}\r\nSubject: parts\r\n\r\n)")
	check("BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT FROM MIME-VERSION)]", "{46}\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n)")
	check("BINARY.PEEK[2]", "BINARY[2] ~{12}\r\nhello binary)")
	check("BINARY.SIZE[2]", "BINARY.SIZE[2] 12")
	check("BODY.PEEK[9]", "{0}")
	check("BODYSTRUCTURE", `("text" "plain" NIL NIL NIL "7bit" 10 1 NIL NIL NIL NIL)`)
	// The encapsulated message's envelope: bare local part gets a host,
	// the empty group is (NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)
	// (imapserver puts a space between addresses).
	check("BODYSTRUCTURE", `((NIL NIL "root" "MISSING_DOMAIN")) ((NIL NIL "undisclosed-recipients" NIL) (NIL NIL NIL NIL))`)
	// Not PEEK: \Seen is set and reported.
	check("BODY[1]", `FLAGS (\Seen)`)

	e.deliver("INBOX", "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n")
	if u := r.mustOK("NOOP"); len(u) != 1 || u[0] != "* 2 EXISTS\r\n" {
		t.Errorf("NOOP after a delivery: %q", u)
	}
	if _, tagged := r.cmd("FETCH 2 (BINARY[1])"); !strings.Contains(tagged, "NO [UNKNOWN-CTE]") {
		t.Errorf("BINARY of x-uuencode: %q", tagged)
	}
}

// APPEND keeps flags (keywords in their case), the INTERNALDATE given,
// and the literal8 (BINARY) and UTF8 (RFC 6855) forms.
func TestAppendForms(t *testing.T) {
	e := newTestEnv(t)
	r := e.preauth().raw()
	msg := "Subject: a\r\n\r\nx\r\n"
	r.mustOK(`APPEND INBOX (\Seen $MyKeyword) "05-Mar-2021 10:11:12 +0100" {%d+}`+"\r\n%s", len(msg), msg)
	r.mustOK(`APPEND INBOX ~{%d+}`+"\r\n%s", len(msg), msg)
	r.mustOK("ENABLE UTF8=ACCEPT")
	r.mustOK(`APPEND INBOX UTF8 (~{%d+}`+"\r\n%s)", len(msg), msg)
	r.mustOK("SELECT INBOX")
	u := r.mustOK("FETCH 1:3 (FLAGS INTERNALDATE RFC822.SIZE)")
	if len(u) != 3 || !strings.Contains(u[0], `FLAGS (\Seen $MyKeyword)`) || !strings.Contains(u[0], `INTERNALDATE " 5-Mar-2021 09:11:12 +0000"`) {
		// The store keeps the instant, not the zone it was given in.
		t.Errorf("FETCH: %q", u)
	}
	for _, l := range u {
		if !strings.Contains(l, fmt.Sprintf("RFC822.SIZE %d", len(msg))) {
			t.Errorf("size: %q", l)
		}
	}
}
