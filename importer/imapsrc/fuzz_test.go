package imapsrc

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadResponse feeds the response reader arbitrary server output, and
// what it parses to the FETCH and LIST readers: nothing may panic, every
// read ends, and decoded names are valid UTF-8.
func FuzzReadResponse(f *testing.F) {
	for _, seed := range []string{
		// RFC 9051 §8 and §7 examples, and legacy quirks.
		"* OK [CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI] IMAP4rev2 Service Ready\r\n",
		"* 172 EXISTS\r\n* OK [UIDVALIDITY 3857529045] UIDs valid\r\n* OK [UIDNEXT 4392] Predicted next UID\r\nA142 OK [READ-WRITE] SELECT completed\r\n",
		"* LIST (\\Noselect) \"/\" \"\"\r\n* LIST () \".\" #news.comp.mail.misc\r\n* LIST (\\Sent) \"/\" {8}\r\nFoo & Ba\r\n",
		"* LIST () NIL \"Caf\xe9\"\r\n* LSUB () \".\" \"INBOX.&AMk-t&AOk-\"\r\n",
		"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 UID 12)\r\n",
		"* 2 FETCH (FLAGS (\\Deleted) BODY[] {5}\r\nhello UID 7 X-GM-MSGID 123 X-BLOB {3}\r\nabc)\r\n",
		"* 3 FETCH (UID 9 BODY[HEADER] {4}\r\nH: x BODY[TEXT] NIL BODY[HEADER.FIELDS (FROM)]<0> \"x\")\r\n",
		"* XAPPLEPUSHSERVICE aps-version 2 {5}\r\nhello ( \"\r\n* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n",
		"+ idling\r\n* BYE Autologout\r\nf1 NO [UNAVAILABLE] try later\r\n",
		"* 1 FETCH (BODY[] {99999999999}\r\n",
		"* 1 FETCH ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := &reader{br: bufio.NewReader(strings.NewReader(string(data)))}
		for i := 0; i < 1000; i++ {
			r, err := rd.readResponse()
			if err != nil {
				return
			}
			if fe, ok := parseFetch(r); ok {
				for _, b := range fe.bodies {
					io.Copy(io.Discard, b)
				}
				fe.release()
			}
			if r.kind == "LIST" || r.kind == "LSUB" {
				if mb, ok := parseList(r); ok && !utf8.ValidString(mb.Name) {
					t.Fatalf("name %q from %q is not UTF-8", mb.Name, mb.Raw)
				}
			}
			r.release()
		}
	})
}

// FuzzDecodeName: any name a server sends gives a UTF-8 name.
func FuzzDecodeName(f *testing.F) {
	for _, s := range []string{"INBOX.Sent", "Foo & Bar", "Caf\xe9", "&AMk-t&AOk-", "a..b.", "x/y", "inbox"} {
		f.Add(s, ".")
	}
	f.Fuzz(func(t *testing.T, raw, delim string) {
		name, _ := decodeName(raw, delim)
		if !utf8.ValidString(name) {
			t.Fatalf("decodeName(%q, %q) = %q, not UTF-8", raw, delim, name)
		}
	})
}
