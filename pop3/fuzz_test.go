package pop3

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// fuzzTimeout bounds one input: the session is cut off after it.
const fuzzTimeout = 2 * time.Second

// FuzzSession feeds arbitrary client bytes to a session, before and after
// login, over net.Pipe; the server must not panic and must end the
// session when the client goes away.
func FuzzSession(f *testing.F) {
	// Seeds: the RFC 1939, 2449, 5034 and 2595 examples, and edge cases.
	for _, s := range []string{
		"STAT\r\nLIST\r\nLIST 2\r\nLIST 3\r\nRETR 1\r\nDELE 1\r\nDELE 2\r\nRSET\r\nNOOP\r\nQUIT\r\n",
		"UIDL\r\nUIDL 2\r\nUIDL 3\r\nTOP 1 10\r\nTOP 100 3\r\nQUIT\r\n",
		"CAPA\r\nUSER mrose\r\nPASS secret\r\nAPOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
		"AUTH PLAIN\r\nAGFsaWNlAGNvcnJlY3QgaG9yc2U=\r\nSTAT\r\n",
		"AUTH PLAIN AGFsaWNlAGNvcnJlY3QgaG9yc2U=\r\nDELE 1\r\nQUIT\r\n",
		"AUTH PLAIN\r\n*\r\nAUTH\r\nAUTH PLAIN =\r\nAUTH X\r\n",
		"STLS\r\nCAPA\r\n",
		"USER alice\nPASS correct horse\nRETR 1\nTOP 1 0\n",
		"\r\n\r\n \r\nLIST  1\r\nLIST 1 \r\nRETR 00000000001\r\nTOP 1\r\nTOP 1 -1\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		strings.Repeat("A", 2000) + "\r\n",
		"\x00\xff\r\nquit\r\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, f.TempDir(), store.Options{Logger: quietLogger(), NoSync: true, MemTableSize: 4 << 20, GCInterval: -1})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	acc, err := st.CreateAccount(ctx, testUser, testPass)
	if err != nil {
		f.Fatal(err)
	}
	inbox, err := st.Mailbox(ctx, acc.ID, store.InboxName)
	if err != nil {
		f.Fatal(err)
	}
	refill := func(t *testing.T) {
		msgs, err := st.Messages(ctx, acc.ID, inbox.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(msgs); i < 3; i++ {
			if _, err := st.Append(ctx, acc.ID, inbox.ID, strings.NewReader(testBodies[i]+".dot\r\n"), store.AppendOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}

	f.Fuzz(func(t *testing.T, data []byte, login bool) {
		refill(t)
		srv := New(Options{AuthFailDelay: -1, AllowInsecureAuth: true, IdleTimeout: fuzzTimeout}, st, quietLogger())
		defer srv.Close()
		cs, ss := net.Pipe()
		defer cs.Close()
		cs.SetDeadline(time.Now().Add(fuzzTimeout))
		srv.ServeConn(ss)
		// Read everything the server says until it closes or the
		// deadline passes; net.Pipe is synchronous, so read meanwhile.
		drained := make(chan struct{})
		go func() {
			io.Copy(io.Discard, cs)
			close(drained)
		}()
		if login {
			io.WriteString(cs, "USER "+testUser+"\r\nPASS "+testPass+"\r\n")
		}
		cs.Write(data)
		cs.Close() // the client goes away: the session must end
		<-drained
	})
}
