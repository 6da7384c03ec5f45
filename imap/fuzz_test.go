package imap

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// panicCatcher is a slog handler that counts "panic" lines: imapserver
// recovers a handler's panic and only logs it.
type panicCatcher struct{ panics *atomic.Int64 }

func (h panicCatcher) Enabled(context.Context, slog.Level) bool { return true }
func (h panicCatcher) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		h.panics.Add(1)
	}
	return nil
}
func (h panicCatcher) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h panicCatcher) WithGroup(string) slog.Handler      { return h }

// FuzzSession feeds arbitrary client bytes to a session in each state:
// 0 not authenticated, 1 authenticated, 2 selected, 3 selected read-only.
// It fails when a handler panics; every input is bounded in time.
func FuzzSession(f *testing.F) {
	seeds := []string{
		"a LOGIN alice secret\r\nb SELECT INBOX\r\nc FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)] BINARY[1]<0.5>)\r\n",
		"a CAPABILITY\r\nb AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n",
		"a FETCH * (BODYSTRUCTURE ENVELOPE BODY[1.MIME] BODY[2.HEADER] RFC822.SIZE)\r\n",
		"a UID SEARCH RETURN (SAVE MIN MAX COUNT) OR (FROM x BODY y) NOT (SINCE 1-Jan-2000 LARGER 5 TEXT z)\r\nb FETCH $ (UID)\r\n",
		"a STORE 1:* +FLAGS (\\Seen $Label)\r\nb EXPUNGE\r\nc UID EXPUNGE 1:*\r\nd CLOSE\r\n",
		"a APPEND INBOX (\\Flagged) {5+}\r\nhello\r\nb COPY 1 Trash\r\nc MOVE 1:* Archive\r\n",
		"a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"*\" \"%\") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES SIZE))\r\n",
		"a CREATE Foo/Bar (USE (\\Drafts))\r\nb RENAME Foo Baz\r\nc DELETE Baz/Bar\r\nd STATUS INBOX (MESSAGES UNSEEN SIZE APPENDLIMIT)\r\n",
		"a IDLE\r\nDONE\r\nb NAMESPACE\r\nc ENABLE IMAP4rev2 UTF8=ACCEPT\r\nd UNAUTHENTICATE\r\n",
		"a SEARCH 1:*,*:3 UID 2:* HEADER X-Y \"\" KEYWORD $x UNKEYWORD \\Seen SENTBEFORE 1-Jan-2030\r\n",
	}
	for st := range 4 {
		for _, s := range seeds {
			f.Add(uint8(st), []byte(s))
		}
	}
	var panics atomic.Int64
	logger := slog.New(panicCatcher{&panics})
	st, err := store.Open(context.Background(), f.TempDir(), store.Options{NoSync: true, MemTableSize: 8 << 20, GCInterval: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	acct, err := st.CreateAccount(context.Background(), "alice", "secret")
	if err != nil {
		f.Fatal(err)
	}
	inbox, _ := st.Mailbox(context.Background(), acct.ID, "INBOX")
	for _, m := range []string{simpleMsg, "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nx\r\n--b--\r\n"} {
		if _, err := st.Append(context.Background(), acct.ID, inbox.ID, strings.NewReader(m), store.AppendOptions{}); err != nil {
			f.Fatal(err)
		}
	}
	plain := New(Options{FailedLoginDelay: -1}, st, logger)
	pre := New(Options{FailedLoginDelay: -1}, st, logger)
	pre.preauth = &acct
	defer plain.Close()
	defer pre.Close()

	f.Fuzz(func(t *testing.T, state uint8, data []byte) {
		state %= 4
		ln, prefix := pre.openLn, ""
		switch state {
		case 0:
			ln = plain.openLn
		case 2:
			prefix = "x0 SELECT INBOX\r\n"
		case 3:
			prefix = "x0 EXAMINE INBOX\r\n"
		}
		client, server := net.Pipe()
		defer client.Close()
		ln.deliver(server)
		deadline := time.Now().Add(2 * time.Second)
		client.SetDeadline(deadline)
		done := make(chan struct{})
		var out strings.Builder
		go func() { io.Copy(&out, client); close(done) }()
		io.WriteString(client, prefix)
		client.Write(data)
		io.WriteString(client, "\r\nDONE\r\nx9 LOGOUT\r\n")
		select {
		case <-done:
		case <-time.After(3 * time.Second):
		}
		client.Close()
		if testing.Verbose() {
			t.Logf("%d bytes of answers", len(out.String()))
		}
		if n := panics.Load(); n > 0 {
			t.Fatalf("%d panics in handlers", n)
		}
	})
}
