package pop3

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

var testBodies = []string{
	"Subject: one\r\n\r\nfirst\r\n",
	"Subject: two\nX: y\n\nsecond, LF endings\nline 2\n",
	"Subject: three\r\n\r\nthird\r\n",
}

func TestStatListUidl(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AuthFailDelay: -1, MaxErrors: 1000})
	for _, b := range testBodies {
		e.deliver(b)
	}
	msgs := e.messages()
	var total int64
	var wantList, wantUIDL []string
	for i, m := range msgs {
		total += m.Size
		wantList = append(wantList, fmt.Sprintf("%d %d", i+1, m.Size))
		wantUIDL = append(wantUIDL, fmt.Sprintf("%d %s", i+1, m.UIDL))
	}
	c := e.login()
	if got, want := c.mustOK("STAT"), fmt.Sprintf("+OK 3 %d", total); got != want {
		t.Errorf("STAT %q, want %q", got, want)
	}
	if got := c.multi("LIST"); !slices.Equal(got, wantList) {
		t.Errorf("LIST %q, want %q", got, wantList)
	}
	if got := c.multi("UIDL"); !slices.Equal(got, wantUIDL) {
		t.Errorf("UIDL %q, want %q", got, wantUIDL)
	}
	if got := c.mustOK("LIST 2"); got != "+OK "+wantList[1] {
		t.Errorf("LIST 2: %q", got)
	}
	if got := c.mustOK("UIDL 3"); got != "+OK "+wantUIDL[2] {
		t.Errorf("UIDL 3: %q", got)
	}
	// The LIST size is exactly what RETR sends before dot-stuffing.
	for i, m := range msgs {
		c.mustOK(fmt.Sprintf("RETR %d", i+1))
		raw := c.readRaw()
		body := strings.TrimSuffix(raw, ".\r\n")
		if int64(len(body)) != m.Size {
			t.Errorf("RETR %d sent %d octets, LIST says %d", i+1, len(body), m.Size)
		}
	}
	for _, arg := range []string{"0", "4", "99999999999", "x", "-1", "1 2"} {
		for _, cmd := range []string{"LIST", "UIDL", "RETR", "DELE", "TOP"} {
			line := cmd + " " + arg
			if cmd == "TOP" {
				line += " 1"
			}
			c.mustErr(line, "-ERR ")
		}
	}
	c.mustErr("STAT 1", "-ERR ")
	c.mustOK("NOOP")
	c.mustErr("NOOP 1", "-ERR ")
	if got := c.mustOK("QUIT"); !strings.Contains(got, "signing off") {
		t.Errorf("QUIT: %q", got)
	}
	c.expectClosed()
}

// TestUIDLExact: imported UIDLs are served byte for byte, in the imported
// POP3 order; native messages follow by UID.
func TestUIDLExact(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	ctx := context.Background()
	mb, err := e.st.ImportMailbox(ctx, e.acc.ID, store.ImportMailboxSpec{Name: "INBOX", UIDValidity: 1234, UIDNext: 10})
	if err != nil {
		t.Fatal(err)
	}
	imports := []store.ImportMessage{
		{UID: 3, UIDL: "000000017f2a3b4c", POP3Order: 2, SourceKey: "3"},
		{UID: 5, UIDL: "UID5-1234!~", POP3Order: 1, SourceKey: "5"},
		{UID: 7, UIDL: strings.Repeat("z", 70), POP3Order: 3, SourceKey: "7"},
		{UID: 8, UIDL: "no-order", SourceKey: "8"},
	}
	for i := range imports {
		imports[i].Body = strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", imports[i].UID))
	}
	if _, err := e.st.Import(ctx, e.acc.ID, mb.ID, imports, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	native := e.deliver("Subject: native\r\n\r\nnew\r\n")
	want := []string{
		"1 UID5-1234!~",
		"2 000000017f2a3b4c",
		"3 " + strings.Repeat("z", 70),
		"4 no-order",
		"5 " + native.UIDL,
	}
	c := e.login()
	if got := c.multi("UIDL"); !slices.Equal(got, want) {
		t.Errorf("UIDL\n got %q\nwant %q", got, want)
	}
	// Imported messages must read back whole, with LIST's size.
	if msgs := e.messages(); msgs[0].Size == 0 {
		t.Fatalf("imported message has size 0")
	}
	c.mustOK("RETR 1")
	if got := c.readMulti(); got[0] != "Subject: 5" {
		t.Errorf("RETR 1 is %q, want UID 5's message", got)
	}
}

// TestDotStuffing: raw transcripts of RETR and TOP for a message with
// lines that start with ".", a line that is just ".", and no final CRLF.
func TestDotStuffing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	body := "Subject: dots\r\n.X-Dot: header\r\n\r\n.\r\n..two\r\n.three\r\n\r\n.\r\nlast line, no CRLF"
	m := e.deliver(body)
	if m.Size != int64(len(body)) {
		t.Fatalf("stored size %d, want %d", m.Size, len(body))
	}
	c := e.login()
	if got, want := c.mustOK("RETR 1"), fmt.Sprintf("+OK %d octets", len(body)); got != want {
		t.Errorf("RETR: %q, want %q", got, want)
	}
	wantRaw := "Subject: dots\r\n..X-Dot: header\r\n\r\n..\r\n...two\r\n..three\r\n\r\n..\r\nlast line, no CRLF\r\n.\r\n"
	if got := c.readRaw(); got != wantRaw {
		t.Errorf("RETR transcript\n got %q\nwant %q", got, wantRaw)
	}

	c.mustOK("TOP 1 0")
	if got, want := c.readRaw(), "Subject: dots\r\n..X-Dot: header\r\n\r\n.\r\n"; got != want {
		t.Errorf("TOP 1 0\n got %q\nwant %q", got, want)
	}
	c.mustOK("TOP 1 2")
	if got, want := c.readRaw(), "Subject: dots\r\n..X-Dot: header\r\n\r\n..\r\n...two\r\n.\r\n"; got != want {
		t.Errorf("TOP 1 2\n got %q\nwant %q", got, want)
	}
	c.mustOK("TOP 1 100")
	if got := c.readRaw(); got != wantRaw {
		t.Errorf("TOP 1 100\n got %q\nwant %q", got, wantRaw)
	}
	c.mustErr("TOP 1", "-ERR ")
	c.mustErr("TOP 1 -1", "-ERR ")
	c.mustErr("TOP 1 x", "-ERR ")
}

// TestTopLongLines: TOP counts lines, however long, and a message without
// a body is sent whole.
func TestTopLongLines(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	long := strings.Repeat("h", 100_000)
	e.deliver("Subject: " + long + "\r\n\r\n" + long + "\r\nsecond\r\nthird\r\n")
	e.deliver("Subject: header only\r\nX: y\r\n")
	c := e.login()
	c.mustOK("TOP 1 1")
	got := c.readMulti()
	if len(got) != 3 || got[0] != "Subject: "+long || got[1] != "" || got[2] != long {
		t.Errorf("TOP 1 1: %d lines", len(got))
	}
	c.mustOK("TOP 2 5")
	if got := c.readMulti(); !slices.Equal(got, []string{"Subject: header only", "X: y"}) {
		t.Errorf("TOP 2 5: %q", got)
	}
}

// TestDeleRsetQuit: DELE only marks; RSET unmarks; QUIT expunges through
// the store (a subscriber sees MessagesExpunged); a dropped connection
// deletes nothing.
func TestDeleRsetQuit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	for _, b := range testBodies {
		e.deliver(b)
	}
	msgs := e.messages()
	sub := e.st.Subscribe(e.acc.ID)
	defer sub.Close()

	c := e.login()
	c.mustOK("DELE 1")
	c.mustErr("DELE 1", "-ERR message 1 already deleted")
	c.mustErr("RETR 1", "-ERR message 1 already deleted")
	c.mustErr("LIST 1", "-ERR ")
	if got, want := c.mustOK("STAT"), fmt.Sprintf("+OK 2 %d", msgs[1].Size+msgs[2].Size); got != want {
		t.Errorf("STAT after DELE: %q, want %q", got, want)
	}
	if got := c.multi("LIST"); len(got) != 2 || !strings.HasPrefix(got[0], "2 ") {
		t.Errorf("LIST after DELE: %q", got)
	}
	if got := c.multi("UIDL"); len(got) != 2 || got[0] != "2 "+msgs[1].UIDL {
		t.Errorf("UIDL after DELE: %q", got)
	}
	c.mustOK("RSET")
	if got := c.multi("UIDL"); len(got) != 3 {
		t.Errorf("UIDL after RSET: %q", got)
	}
	c.mustOK("DELE 1")
	c.mustOK("DELE 3")
	// Nothing is gone before QUIT.
	if n := len(e.messages()); n != 3 {
		t.Fatalf("%d messages before QUIT, want 3", n)
	}
	// A dropped connection deletes nothing.
	c.conn.Close()
	c = nil
	var c2 *client
	waitFor(t, "the first session to end", func() bool {
		c2 = e.dial()
		c2.mustOK("USER " + testUser)
		if resp := c2.cmd("PASS " + testPass); strings.HasPrefix(resp, "+OK") {
			return true
		}
		c2.conn.Close()
		return false
	})
	if n := len(e.messages()); n != 3 {
		t.Fatalf("%d messages after a dropped connection, want 3", n)
	}
	c2.mustOK("DELE 1")
	c2.mustOK("DELE 3")
	if got := c2.mustOK("QUIT"); !strings.Contains(got, "1 messages left") {
		t.Errorf("QUIT: %q", got)
	}
	c2.expectClosed()
	left := e.messages()
	if len(left) != 1 || left[0].UID != msgs[1].UID {
		t.Fatalf("after QUIT: %v", left)
	}
	var expunged []store.UID
	waitFor(t, "MessagesExpunged", func() bool {
		for _, ch := range sub.Take() {
			if x, ok := ch.(store.MessagesExpunged); ok && x.Mailbox == e.inbox {
				expunged = append(expunged, x.UIDs...)
			}
		}
		return len(expunged) == 2
	})
	if !slices.Equal(expunged, []store.UID{msgs[0].UID, msgs[2].UID}) {
		t.Errorf("expunged %v", expunged)
	}
}

// TestNewMailAtNextLogin: the snapshot is fixed for the session; a message
// delivered meanwhile is listed at the next login.
func TestNewMailAtNextLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	e.deliver(testBodies[0])
	c := e.login()
	m := e.deliver(testBodies[2])
	if got := c.multi("UIDL"); len(got) != 1 {
		t.Errorf("UIDL changed during the session: %q", got)
	}
	c.mustOK("QUIT")
	c.expectClosed()
	c = e.login()
	if got := c.multi("UIDL"); len(got) != 2 || got[1] != "2 "+m.UIDL {
		t.Errorf("UIDL at next login: %q", got)
	}
}

// TestExpungedElsewhere: a message expunged by another client after the
// snapshot is answered with -ERR, and the session goes on.
func TestExpungedElsewhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	m := e.deliver(testBodies[0])
	e.deliver(testBodies[2])
	c := e.login()
	if _, err := e.st.Expunge(context.Background(), e.acc.ID, e.inbox, []store.UID{m.UID}); err != nil {
		t.Fatal(err)
	}
	c.mustErr("RETR 1", "-ERR message 1 was removed")
	c.mustErr("TOP 1 0", "-ERR message 1 was removed")
	c.mustOK("RETR 2")
	c.readMulti()
	c.mustOK("DELE 1")
	c.mustOK("QUIT") // expunging a message already gone is not an error
}

// TestQuitInAuthorization ends the session without a login.
func TestQuitInAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testOptions())
	c := e.dial()
	c.mustOK("QUIT")
	c.expectClosed()
	_ = time.Second
}
