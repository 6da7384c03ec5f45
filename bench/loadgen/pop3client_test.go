package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestReadStatus(t *testing.T) {
	for _, tt := range []struct {
		in, text string
		err      bool
		pop3Err  bool
	}{
		{in: "+OK ready\r\n", text: "ready"},
		{in: "+OK\r\n", text: ""},
		{in: "+OK bare LF\n", text: "bare LF"},
		{in: "-ERR [IN-USE] locked\r\n", err: true, pop3Err: true},
		{in: "-ERR\r\n", err: true, pop3Err: true},
		{in: "+OKAY\r\n", err: true},
		{in: "* OK imap\r\n", err: true},
		{in: "+OK no end", err: true},
		{in: "", err: true},
		{in: "+OK " + strings.Repeat("x", pop3MaxLine) + "\r\n", err: true},
	} {
		text, err := readStatus(bufio.NewReaderSize(strings.NewReader(tt.in), 16), "T")
		var pe *pop3Error
		switch {
		case (err != nil) != tt.err:
			t.Errorf("readStatus(%.20q): err %v, want error %v", tt.in, err, tt.err)
		case err == nil && text != tt.text:
			t.Errorf("readStatus(%.20q) = %q, want %q", tt.in, text, tt.text)
		case err != nil && errors.As(err, &pe) != tt.pop3Err:
			t.Errorf("readStatus(%.20q): %v; a -ERR answer: %v", tt.in, err, tt.pop3Err)
		}
	}
}

// TestReadMultiline: RFC 1939 §3, dot-stuffing undone, the octet count
// that of the message with CRLF line ends.
func TestReadMultiline(t *testing.T) {
	in := "Subject: x\r\n\r\n..leading dot\r\n.\r\nafter"
	var lines []string
	n, err := readMultiline(bufio.NewReader(strings.NewReader(in)), func(l []byte) error {
		lines = append(lines, string(l))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Subject: x", "", ".leading dot"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want %q", lines, want)
	}
	if n != int64(len("Subject: x\r\n\r\n.leading dot\r\n")) {
		t.Errorf("octets %d", n)
	}
	if _, err := readMultiline(bufio.NewReader(strings.NewReader("no terminator\r\n")), nil); err == nil {
		t.Error("a listing cut off before its \".\" line gave no error")
	}
}

func TestParseUIDLLine(t *testing.T) {
	if e, err := parseUIDLLine([]byte("3 00000003abc")); err != nil || e.num != 3 || e.uidl != "00000003abc" {
		t.Errorf("parseUIDLLine = %+v, %v", e, err)
	}
	for _, bad := range []string{"", "3", "x abc", "0 abc", "3 " + strings.Repeat("a", 71), "3 a\x7fb"} {
		if _, err := parseUIDLLine([]byte(bad)); err == nil {
			t.Errorf("parseUIDLLine(%q) succeeded", bad)
		}
	}
}

// FuzzPOP3Answer feeds arbitrary server output to the POP3 client's
// readers: they must return an answer or an error, never panic or loop.
func FuzzPOP3Answer(f *testing.F) {
	f.Add([]byte("+OK 2 messages\r\n1 a\r\n2 b\r\n.\r\n"))
	f.Add([]byte("-ERR [AUTH] no\r\n"))
	f.Add([]byte("+OK\r\n..x\r\n.\r\n"))
	f.Add([]byte("+OK\n1 \n.\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(b), 16)
		if _, err := readStatus(br, "UIDL"); err != nil {
			return
		}
		n, err := readMultiline(br, func(line []byte) error {
			_, err := parseUIDLLine(line)
			return err
		})
		if n < 0 || (err == nil && n > int64(len(b))+2*int64(bytes.Count(b, []byte("\n")))) {
			t.Fatalf("octet count %d for %d bytes of input", n, len(b))
		}
	})
}

// FuzzParseUsers: a users file is outside input.
func FuzzParseUsers(f *testing.F) {
	f.Add("alice:secret\nbob:{PLAIN}pw:1000:1000::/home/bob::\n")
	f.Add("# c\n\n:x\n")
	f.Fuzz(func(t *testing.T, s string) {
		users, err := ParseUsers(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, u := range users {
			if u.User == "" || u.Password == "" || strings.ContainsAny(u.User+u.Password, "\r\n\x00") {
				t.Fatalf("ParseUsers accepted %+v", u)
			}
		}
	})
}

// FuzzParseMix: a --mix is outside input.
func FuzzParseMix(f *testing.F) {
	f.Add("FETCH-BODY=30,STORE=20,APPEND=8")
	f.Add("noop=1")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMix(s)
		if err != nil {
			return
		}
		p := NewPlan(m, 1, 0)
		for range 10 {
			if st := p.Next(); m.Weights[st.Op] <= 0 {
				t.Fatalf("mix %q drew %s of weight 0", s, st.Op)
			}
		}
	})
}
