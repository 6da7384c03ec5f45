package lmtp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/ferrymail/ferrymail/store"
)

const ioTimeout = 30 * time.Second

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testEnv is a store with accounts alice and bob@example.org and an LMTP
// server on 127.0.0.1:0.
type testEnv struct {
	t    *testing.T
	st   *store.Store
	addr string
}

func newEnv(t *testing.T, opts Options) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{
		Logger: quietLogger(), NoSync: true, MemTableSize: 4 << 20, GCInterval: -1,
	})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	for _, name := range []string{"alice", "bob@example.org"} {
		if _, err := st.CreateAccount(ctx, name, "secret"); err != nil {
			t.Fatal(err)
		}
	}
	if opts.SpoolDir == "" {
		opts.SpoolDir = t.TempDir()
	}
	srv := New(opts, st, quietLogger())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		if err := st.CheckConsistency(context.Background()); err != nil {
			t.Errorf("CheckConsistency: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return &testEnv{t: t, st: st, addr: ln.Addr().String()}
}

// dial returns an LMTP client that has said LHLO.
func (e *testEnv) dial() *smtp.Client {
	e.t.Helper()
	nc, err := net.DialTimeout("tcp", e.addr, ioTimeout)
	if err != nil {
		e.t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(ioTimeout))
	c := smtp.NewClientLMTP(nc)
	if err := c.Hello("mta.example.org"); err != nil {
		e.t.Fatalf("LHLO: %v", err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// inbox returns the named account and its INBOX messages.
func (e *testEnv) inbox(name string) (store.Account, store.MailboxID, []store.Message) {
	e.t.Helper()
	ctx := context.Background()
	acc, err := e.st.Account(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	mb, err := e.st.Mailbox(ctx, acc.ID, store.InboxName)
	if err != nil {
		e.t.Fatal(err)
	}
	msgs, err := e.st.Messages(ctx, acc.ID, mb.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return acc, mb.ID, msgs
}

// body returns a stored message's bytes without the Received: header that
// delivery adds (received_test.go checks that one), failing if it is not
// there.
func (e *testEnv) body(acc store.Account, mb store.MailboxID, uid store.UID) string {
	e.t.Helper()
	raw := e.rawBody(acc, mb, uid)
	loc := ourReceived.FindStringIndex(raw)
	if loc == nil {
		e.t.Fatalf("no Received: header in %q", raw)
	}
	return raw[:loc[0]] + raw[loc[1]:]
}

// rawBody returns a stored message's bytes.
func (e *testEnv) rawBody(acc store.Account, mb store.MailboxID, uid store.UID) string {
	e.t.Helper()
	r, err := e.st.OpenMessage(context.Background(), acc.ID, mb, uid)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// send runs one transaction and returns the per-recipient replies of
// those accepted at RCPT, and the RCPT errors of the others.
func send(t *testing.T, c *smtp.Client, from string, to []string, msg string) (map[string]*reply, map[string]error) {
	t.Helper()
	if err := c.Mail(from, nil); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	rcptErrs := map[string]error{}
	accepted := 0
	for _, rc := range to {
		if err := c.Rcpt(rc, nil); err != nil {
			rcptErrs[rc] = err
			continue
		}
		accepted++
	}
	if accepted == 0 {
		return nil, rcptErrs
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := io.WriteString(w, msg); err != nil {
		t.Fatalf("writing message: %v", err)
	}
	resp, err := w.CloseWithLMTPResponse()
	var lerr smtp.LMTPDataError
	if err != nil && !errors.As(err, &lerr) {
		t.Fatalf("end of DATA: %v", err)
	}
	out := map[string]*reply{}
	for k, v := range resp {
		out[k] = &reply{StatusCode: 250, Text: v.StatusText}
	}
	for k, v := range lerr {
		out[k] = &reply{StatusCode: v.Code, EnhancedCode: v.EnhancedCode, Text: v.Message}
	}
	return out, rcptErrs
}

// reply is one recipient's reply after DATA.
type reply struct {
	StatusCode   int
	EnhancedCode smtp.EnhancedCode
	Text         string
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestDeliverMultipleRecipientsOneUnknown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	c := e.dial()
	msg := "From: sender@example.net\nSubject: hello\n\nLF line endings\n.leading dot\n"
	resp, rcptErrs := send(t, c, "sender@example.net",
		[]string{"alice@example.org", "nobody@example.org", "bob@example.org"}, msg)

	var se *smtp.SMTPError
	if err := rcptErrs["nobody@example.org"]; !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) {
		t.Errorf("RCPT nobody: got %v, want 550 5.1.1", err)
	}
	if len(rcptErrs) != 1 {
		t.Errorf("RCPT errors: got %v, want only nobody's", rcptErrs)
	}
	for _, rc := range []string{"alice@example.org", "bob@example.org"} {
		if r := resp[rc]; r == nil || r.StatusCode != 250 {
			t.Errorf("status of %s: got %+v, want 250", rc, r)
		}
	}
	if len(resp) != 2 {
		t.Errorf("got %d per-recipient replies, want 2: %v", len(resp), resp)
	}

	for _, want := range []struct{ account, rcpt string }{
		{"alice", "alice@example.org"},
		{"bob@example.org", "bob@example.org"}, // the whole address names the account
	} {
		acc, mb, msgs := e.inbox(want.account)
		if len(msgs) != 1 {
			t.Fatalf("%s: %d messages, want 1", want.account, len(msgs))
		}
		got := e.body(acc, mb, msgs[0].UID)
		wantBody := "Return-Path: <sender@example.net>\r\nDelivered-To: " + want.rcpt + "\r\n" +
			"From: sender@example.net\r\nSubject: hello\r\n\r\nLF line endings\r\n.leading dot\r\n"
		if got != wantBody {
			t.Errorf("%s: stored\n%q\nwant\n%q", want.account, got, wantBody)
		}
		if raw := e.rawBody(acc, mb, msgs[0].UID); msgs[0].Size != int64(len(raw)) {
			t.Errorf("%s: size %d, want %d", want.account, msgs[0].Size, len(raw))
		}
	}
}

func TestDeliverUIDLFromTemplate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	c := e.dial()
	for i := range 2 {
		resp, _ := send(t, c, "", []string{"alice@example.org"}, fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i))
		if r := resp["alice@example.org"]; r == nil || r.StatusCode != 250 {
			t.Fatalf("delivery %d: got %+v, want 250", i, r)
		}
	}
	acc, mb, msgs := e.inbox("alice")
	box, err := e.st.MailboxByID(context.Background(), acc.ID, mb)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		// The default template %08Xu%08Xv: UID, then UIDVALIDITY, in hex.
		want := fmt.Sprintf("%08x%08x", uint32(m.UID), box.UIDValidity)
		if m.UIDL != want {
			t.Errorf("message %d: UIDL %q, want %q", i, m.UIDL, want)
		}
		if i > 0 && m.UID <= msgs[i-1].UID {
			t.Errorf("UIDs not ascending: %d after %d", m.UID, msgs[i-1].UID)
		}
	}
	if got := e.body(acc, mb, msgs[0].UID); !strings.HasPrefix(got, "Return-Path: <>\r\n") {
		t.Errorf("null reverse path: stored %q, want Return-Path: <>", got)
	}
}

func TestDeliverPublishesMessageAdded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	acc, mb, _ := e.inbox("alice")
	sub := e.st.Subscribe(acc.ID)
	defer sub.Close()
	c := e.dial()
	send(t, c, "sender@example.net", []string{"ALICE@example.org"}, "Subject: idle\r\n\r\nhi\r\n")
	select {
	case <-sub.C():
	case <-time.After(ioTimeout):
		t.Fatal("no change event within the timeout")
	}
	var added []store.MessageAdded
	for _, ch := range sub.Take() {
		if m, ok := ch.(store.MessageAdded); ok {
			added = append(added, m)
		}
	}
	if len(added) != 1 || added[0].Mailbox != mb || added[0].Message.UIDL == "" {
		t.Fatalf("events: got %+v, want one MessageAdded in INBOX with a UIDL", added)
	}
}

func TestDeliverMalformedInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	c := e.dial()
	cases := []struct{ name, msg, want string }{
		// go-smtp's client ends the data with CRLF before the final ".":
		// an empty message arrives as one empty line (the raw test below
		// sends none at all).
		{"empty DATA", "", "\r\n"},
		{"no header/body separator", "just a line", "just a line\r\n"},
		{"bare CR and NUL", "Subject: x\r\n\r\na\rb\x00c\r\n", "Subject: x\r\n\r\na\rb\x00c\r\n"},
		{"8-bit header", "Subject: \xff\xfe\r\n\r\n", "Subject: \xff\xfe\r\n\r\n"},
	}
	acc, mb, _ := e.inbox("alice")
	for _, tc := range cases {
		resp, rcptErrs := send(t, c, "x@example.net", []string{"alice@example.org"}, tc.msg)
		if r := resp["alice@example.org"]; r == nil || r.StatusCode != 250 {
			t.Fatalf("%s: got %+v (RCPT: %v), want 250", tc.name, r, rcptErrs)
		}
		_, _, msgs := e.inbox("alice")
		got := e.body(acc, mb, msgs[len(msgs)-1].UID)
		want := "Return-Path: <x@example.net>\r\nDelivered-To: alice@example.org\r\n" + tc.want
		if got != want {
			t.Errorf("%s: stored %q, want %q", tc.name, got, want)
		}
	}
}

func TestRcptBeforeMail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	c := e.dial()
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("alice@example.org", nil); smtpCode(err)/100 != 5 {
		t.Errorf("RCPT before MAIL: got %v, want 5xx", err)
	}
}

func TestSizeLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{MaxMessageSize: 1000})
	for _, to := range [][]string{{"alice@example.org"}, {"alice@example.org", "bob@example.org"}} {
		c := e.dial()
		resp, _ := send(t, c, "x@example.net", to, "Subject: big\r\n\r\n"+strings.Repeat("0123456789\r\n", 200))
		for _, rc := range to {
			if r := resp[rc]; r == nil || r.StatusCode != 552 {
				t.Errorf("%d recipients, %s: got %+v, want 552", len(to), rc, r)
			}
		}
	}
	if _, _, msgs := e.inbox("alice"); len(msgs) != 0 {
		t.Errorf("%d messages stored, want none", len(msgs))
	}
}

func TestStoreErrorIs451(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	c := e.dial()
	if err := c.Mail("x@example.net", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("alice@example.org", nil); err != nil {
		t.Fatal(err)
	}
	// The account goes away between RCPT and DATA: the store refuses the
	// delivery, which is a temporary failure for that recipient.
	acc, _, _ := e.inbox("alice")
	if err := e.st.DeleteAccount(context.Background(), acc.ID); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "Subject: x\r\n\r\nx\r\n")
	_, err = w.CloseWithLMTPResponse()
	var lerr smtp.LMTPDataError
	if !errors.As(err, &lerr) {
		t.Fatalf("end of DATA: got %v, want a per-recipient error", err)
	}
	if se := lerr["alice@example.org"]; se == nil || se.Code != 451 || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 0}) {
		t.Errorf("got %+v, want 451 4.3.0", se)
	}
}

// TestRawEmptyData sends DATA followed at once by the final "." (no line
// at all), and a second transaction on the same connection, byte for byte.
func TestRawEmptyData(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	nc, err := net.DialTimeout("tcp", e.addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(ioTimeout))
	br := bufio.NewReader(nc)
	expect := func(prefix string) {
		t.Helper()
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("reading reply: %v", err)
			}
			if !strings.HasPrefix(line, prefix) {
				t.Fatalf("got %q, want %q…", line, prefix)
			}
			if len(line) < 4 || line[3] != '-' {
				return
			}
		}
	}
	expect("220 ")
	for _, step := range []struct{ send, want string }{
		{"LHLO mta.example.org\r\n", "250"},
		{"MAIL FROM:<>\r\n", "250 "},
		{"RCPT TO:<alice@example.org>\r\n", "250 "},
		{"RCPT TO:<nobody@example.org>\r\n", "550 5.1.1 "},
		{"DATA\r\n", "354 "},
		{".\r\n", "250 2.0.0 <alice@example.org>"},
		{"MAIL FROM:<a@b>\r\n", "250 "},
		{"DATA\r\n", "5"}, // no recipient
		{"QUIT\r\n", "221 "},
	} {
		if _, err := io.WriteString(nc, step.send); err != nil {
			t.Fatal(err)
		}
		expect(step.want)
	}
	acc, mb, msgs := e.inbox("alice")
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	if got, want := e.body(acc, mb, msgs[0].UID), "Return-Path: <>\r\nDelivered-To: alice@example.org\r\n"; got != want {
		t.Errorf("stored %q, want %q", got, want)
	}
}
