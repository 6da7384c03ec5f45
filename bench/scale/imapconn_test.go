package main

import (
	"bufio"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
	in := "* 3 FETCH (UID 7 FLAGS (\\Seen))\r\n* SEARCH 1 5 9\r\n* 1 FETCH (BODY[] {5}\r\nab\r\nc)\r\ns1 OK done\r\n"
	rep, err := readReply(bufio.NewReader(strings.NewReader(in)), "s1")
	if err != nil {
		t.Fatal(err)
	}
	if rep.status != "OK" || rep.lines != 3 || string(rep.searched) != "1 5 9" || rep.bytes != int64(len(in)) {
		t.Fatalf("got status %q lines %d searched %q bytes %d, want OK 3 \"1 5 9\" %d", rep.status, rep.lines, rep.searched, rep.bytes, len(in))
	}
	if _, err := readReply(bufio.NewReader(strings.NewReader("s2 NO nope\r\n")), "s2"); err == nil {
		t.Fatal("NO: no error")
	}
}

// FuzzReadReply: the response reader takes any server's bytes without
// panicking or looping.
func FuzzReadReply(f *testing.F) {
	f.Add("* OK [CAPABILITY IMAP4rev1] hi\r\ns1 OK done\r\n")
	f.Add("* 1 FETCH (BODY[] {3}\r\nabc)\r\ns1 OK x\r\n")
	f.Add("* 1 FETCH (X {99999999999}\r\n")
	f.Add("* SEARCH\r\ns1 BAD no\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		readReply(bufio.NewReader(strings.NewReader(in)), "s1")
	})
}
