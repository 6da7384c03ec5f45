package pop3src

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/internal/importtest"
	"github.com/ferrymail/ferrymail/importer/remote"
	"github.com/ferrymail/ferrymail/internal/testcert"
	"github.com/ferrymail/ferrymail/store"
)

// fakeServer is a scripted POP3 server on 127.0.0.1:0 with the quirks of
// legacy servers switched on one by one.
type fakeServer struct {
	t    testing.TB
	l    *importtest.Listener
	msgs []fakeMsg

	noCAPA     bool        // RFC 1939 only: CAPA is -ERR
	noUIDL     bool        // UIDL is -ERR
	extraLines bool        // junk lines inside UIDL and LIST answers
	saslOnly   bool        // CAPA offers SASL PLAIN and no USER
	stall      bool        // RETR is never answered
	pipelining bool        // CAPA offers PIPELINING (RFC 2449 §6.6)
	pipelined  int         // RETRs that arrived before the answer to the one before
	stls       *tls.Config // offer STLS with this configuration
	implicit   *tls.Config // TLS from the first byte
	sizeDelta  map[int]int // LIST size error per message number
	// dropRETR[n] is how many more times the connection drops halfway
	// through RETR n.
	dropRETR map[int]int

	mu   sync.Mutex
	cmds []string
}

type fakeMsg struct{ uidl, body string }

func newFakeServer(t testing.TB, msgs ...fakeMsg) *fakeServer {
	f := &fakeServer{t: t, l: importtest.Listen(t), msgs: msgs, sizeDelta: map[int]int{}, dropRETR: map[int]int{}}
	return f
}

// addr starts serving, on first use: the quirks are set by then.
func (f *fakeServer) addr() string { return f.l.Serve(f.implicit, f.session) }

func (f *fakeServer) count(cmd string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.cmds {
		if strings.HasPrefix(c, cmd) {
			n++
		}
	}
	return n
}

func (f *fakeServer) session(c net.Conn) {
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	defer w.Flush()
	out := func(s string) { w.WriteString(s); w.Flush() }
	defer func() { c.Close() }()
	out("+OK fake POP3 ready\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		f.mu.Lock()
		f.cmds = append(f.cmds, line)
		f.mu.Unlock()
		switch strings.ToUpper(verb) {
		case "CAPA":
			switch {
			case f.noCAPA:
				out("-ERR unknown command\r\n")
			case f.saslOnly:
				out("+OK\r\nSASL PLAIN\r\nUIDL\r\n.\r\n")
			case f.pipelining:
				out("+OK\r\nUSER\r\nUIDL\r\nTOP\r\nPIPELINING\r\n.\r\n")
			default:
				out("+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n")
			}
		case "STLS":
			if f.stls == nil {
				out("-ERR no TLS\r\n")
				continue
			}
			out("+OK begin TLS\r\n")
			c = tls.Server(c, f.stls)
			r, w = bufio.NewReader(c), bufio.NewWriter(c)
			f.mu.Lock()
			f.cmds = append(f.cmds, "(TLS)")
			f.mu.Unlock()
		case "USER":
			if f.saslOnly {
				out("-ERR use AUTH\r\n")
			} else {
				out("+OK\r\n")
			}
		case "PASS":
			if arg == "pw" {
				out("+OK logged in\r\n")
			} else {
				out("-ERR [AUTH] wrong\r\n")
			}
		case "AUTH":
			b, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(arg, "PLAIN "))
			if string(b) == "\x00alice\x00pw" {
				out("+OK logged in\r\n")
			} else {
				out("-ERR [AUTH] wrong\r\n")
			}
		case "UIDL":
			if f.noUIDL {
				out("-ERR command not implemented\r\n")
				continue
			}
			var b strings.Builder
			b.WriteString("+OK\r\n")
			for i, m := range f.msgs {
				fmt.Fprintf(&b, "%d %s\r\n", i+1, m.uidl)
				if f.extraLines && i == 0 {
					b.WriteString("this is no listing line\r\n\r\n")
				}
			}
			b.WriteString(".\r\n")
			out(b.String())
		case "LIST":
			var b strings.Builder
			b.WriteString("+OK\r\n")
			if f.extraLines {
				b.WriteString("x y\r\n")
			}
			for i, m := range f.msgs {
				fmt.Fprintf(&b, "%d %d\r\n", i+1, len(m.body)+f.sizeDelta[i+1])
			}
			b.WriteString(".\r\n")
			out(b.String())
		case "RETR":
			if r.Buffered() > 0 {
				f.mu.Lock()
				f.pipelined++
				f.mu.Unlock()
			}
			n, _ := strconv.Atoi(arg)
			if n < 1 || n > len(f.msgs) {
				out("-ERR no such message\r\n")
				continue
			}
			if f.stall {
				r.ReadString('\n') // until the client goes
				return
			}
			body := f.msgs[n-1].body
			f.mu.Lock()
			drop := f.dropRETR[n] > 0
			if drop {
				f.dropRETR[n]--
			}
			f.mu.Unlock()
			if drop {
				out("+OK\r\n" + body[:len(body)/2])
				return
			}
			// RFC 1939 §3: byte-stuff lines that begin with ".".
			var b strings.Builder
			b.WriteString("+OK message follows\r\n")
			for _, l := range strings.SplitAfter(body, "\r\n") {
				if strings.HasPrefix(l, ".") {
					b.WriteString(".")
				}
				b.WriteString(l)
			}
			b.WriteString(".\r\n")
			out(b.String())
		case "DELE":
			f.t.Errorf("the importer sent %q", line)
			out("+OK\r\n")
		case "QUIT":
			out("+OK bye\r\n")
			return
		default:
			out("-ERR unknown command\r\n")
		}
	}
}

var threeMsgs = []fakeMsg{
	{"000000014c0907b0", "From: a@example.org\r\nSubject: one\r\n\r\nfirst\r\n"},
	{"UID2-1276529134", "From: b@example.org\r\nSubject: two\r\n\r\n.a line that starts with a dot\r\n..and two\r\n.\r\nend\r\n"},
	{"weird!~UIDL", "From: c@example.org\r\nSubject: three\r\n\r\n" + strings.Repeat("long body line\r\n", 40000)},
}

// newStore is the store every test imports into.
func newStore(t testing.TB) (*store.Store, store.Account) { return importtest.NewStore(t) }

func run(t *testing.T, st *store.Store, acc store.Account, f *fakeServer, mod func(*Options)) (*importer.Report, error) {
	t.Helper()
	return runWith(t, st, acc, f, mod, importer.Options{})
}

func runWith(t *testing.T, st *store.Store, acc store.Account, f *fakeServer, mod func(*Options), io importer.Options) (*importer.Report, error) {
	t.Helper()
	o := Options{Addr: f.addr(), User: "alice", Password: "pw", Backoff: time.Millisecond, Timeout: 5 * time.Second, SpoolDir: t.TempDir()}
	if mod != nil {
		mod(&o)
	}
	return importer.Run(context.Background(), st, acc.ID, New(o), io)
}

// checkInbox requires INBOX to hold the messages, in POP3 order, with
// their UIDLs, POP3 order and bytes.
func checkInbox(t *testing.T, st *store.Store, acc store.Account, want []fakeMsg) []store.Message {
	t.Helper()
	ctx := context.Background()
	mb, err := st.Mailbox(ctx, acc.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.Messages(ctx, acc.ID, mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(want) {
		t.Fatalf("INBOX holds %d messages, want %d", len(msgs), len(want))
	}
	for i, m := range msgs {
		if m.UIDL != want[i].uidl || m.POP3Order != uint32(i+1) || m.UID != store.UID(i+1) || len(m.Flags) != 0 {
			t.Errorf("message %d: UID %d UIDL %q order %d flags %v, want UID %d UIDL %q order %d no flags",
				i, m.UID, m.UIDL, m.POP3Order, m.Flags, i+1, want[i].uidl, i+1)
		}
		r, err := st.OpenMessage(ctx, acc.ID, mb.ID, m.UID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want[i].body {
			t.Errorf("message %d: body differs (%d bytes, want %d)", i, len(b), len(want[i].body))
		}
	}
	return msgs
}

func TestImportAndRerun(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	f := newFakeServer(t, threeMsgs...)
	rep, err := run(t, st, acc, f, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("run: %v %+v", err, rep)
	}
	checkInbox(t, st, acc, threeMsgs)
	if m := rep.Mailboxes[0]; m.Imported != 3 || m.UIDLsFromSource != 3 || len(m.Warnings) != 0 {
		t.Errorf("report: %+v", m)
	}
	// Mail read in Ferrymail meanwhile keeps \Seen: POP3 has no flags.
	ctx := context.Background()
	mb, _ := st.Mailbox(ctx, acc.ID, "INBOX")
	if _, err := st.StoreFlags(ctx, acc.ID, mb.ID, []store.UID{1}, store.FlagsAdd, []string{store.FlagSeen}, store.StoreFlagsOptions{}); err != nil {
		t.Fatal(err)
	}
	retrs := f.count("RETR")
	f.msgs = append(f.msgs, fakeMsg{"new4", "Subject: four\r\n\r\nnew\r\n"})
	rep, err = run(t, st, acc, f, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("re-run: %v %+v", err, rep)
	}
	if m := rep.Mailboxes[0]; m.Imported != 1 || m.Skipped != 3 || m.FlagsUpdated != 0 {
		t.Errorf("re-run report: %+v, want 1 imported, 3 skipped", m)
	}
	if got := f.count("RETR") - retrs; got != 1 {
		t.Errorf("re-run sent %d RETR, want 1 (the new message)", got)
	}
	m, err := st.Message(ctx, acc.ID, mb.ID, 1)
	if err != nil || !m.HasFlag(store.FlagSeen) {
		t.Errorf("message 1 lost \\Seen on the re-run: %v %v", m.Flags, err)
	}
	if m, err := st.Message(ctx, acc.ID, mb.ID, 4); err != nil || m.UIDL != "new4" || m.POP3Order != 4 {
		t.Errorf("new message: %+v %v", m, err)
	}
	if f.count("QUIT") != 2 {
		t.Errorf("%d QUIT, want one per run", f.count("QUIT"))
	}
}

// TestQuirks: no CAPA, junk lines in listings, a LIST size that RETR does
// not give.
func TestQuirks(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	f := newFakeServer(t, threeMsgs...)
	f.noCAPA, f.extraLines = true, true
	f.sizeDelta[2] = 7
	rep, err := run(t, st, acc, f, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("run: %v %+v", err, rep)
	}
	checkInbox(t, st, acc, threeMsgs)
	m := rep.Mailboxes[0]
	all := strings.Join(m.Warnings, "\n") + strings.Join(m.Notes, "\n")
	for _, want := range []string{"does not answer CAPA", `UIDL: skipped a line that is not "msg-number value": "this is no listing line"`,
		`LIST: skipped a line`, fmt.Sprintf("RETR 2 (UIDL UID2-1276529134) gave %d octets, LIST said %d", len(threeMsgs[1].body), len(threeMsgs[1].body)+7)} {
		if !strings.Contains(all, want) {
			t.Errorf("report lacks %q:\n%s", want, all)
		}
	}
}

func TestNoUIDL(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	f := newFakeServer(t, threeMsgs...)
	f.noUIDL = true
	_, err := run(t, st, acc, f, nil)
	if err == nil || !strings.Contains(err.Error(), "does not list UIDLs") {
		t.Fatalf("run: %v, want the UIDL error", err)
	}
	if f.count("RETR") != 0 {
		t.Error("RETR sent without UIDLs")
	}
}

func TestAuthPlain(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	f := newFakeServer(t, threeMsgs[:1]...)
	f.saslOnly = true
	rep, err := run(t, st, acc, f, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("run: %v %+v", err, rep)
	}
	if f.count("AUTH PLAIN") != 1 || f.count("USER") != 0 {
		t.Errorf("commands: %q", f.cmds)
	}
	_, err = run(t, st, acc, f, func(o *Options) { o.Password = "wrong" })
	if err == nil || !strings.Contains(err.Error(), "[AUTH] wrong") || strings.Contains(err.Error(), "wrong\x00") {
		t.Errorf("wrong password: %v", err)
	}
}

// TestDropMidRETR: the connection drops halfway through a message; the
// source connects again and resumes by UIDL.
func TestDropMidRETR(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	f := newFakeServer(t, threeMsgs...)
	f.dropRETR[2] = 1
	f.dropRETR[3] = 2
	rep, err := run(t, st, acc, f, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("run: %v %+v", err, rep)
	}
	checkInbox(t, st, acc, threeMsgs)
	if conns := f.l.Conns(); conns != 4 {
		t.Errorf("%d connections, want 4", conns)
	}
	if w := strings.Join(rep.Mailboxes[0].Warnings, "\n"); !strings.Contains(w, "connection lost during RETR 2") || !strings.Contains(w, "resuming by UIDL") {
		t.Errorf("warnings: %s", w)
	}
}

// TestDropEveryTime: a message that always breaks the connection is named
// as not imported after a bounded number of tries; the others go on. A
// server that is gone ends the run after a bounded number of attempts.
func TestDropEveryTime(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	f := newFakeServer(t, threeMsgs...)
	f.dropRETR[2] = 100
	rep, err := run(t, st, acc, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Mailboxes[0]
	if m.Imported != 2 || len(m.Failures) != 1 || !strings.Contains(m.Failures[0].Where, "message 2") {
		t.Errorf("report: %+v", m)
	}
	if got := f.count("RETR 2"); got != triesPerMessage {
		t.Errorf("RETR 2 sent %d times, want %d", got, triesPerMessage)
	}

	// Connect to a live server, then lose it for good.
	h := newFakeServer(t, threeMsgs...)
	h.dropRETR[1] = 1
	src := New(Options{Addr: h.addr(), User: "alice", Password: "pw", Backoff: time.Millisecond, Attempts: 3})
	boxes, err := src.Mailboxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	src.o.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) { return nil, fmt.Errorf("refused") }
	it, _ := src.Messages(context.Background(), &boxes[0])
	msg, err := it.Next()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := msg.Open(); err == nil || !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("open after the server went: %v", err)
	}
	if _, err := it.Next(); err == nil || !strings.Contains(err.Error(), "run the import again") {
		t.Errorf("next after the server went: %v", err)
	}
	it.Close()
}

// TestTLS: STLS (RFC 2595) and implicit TLS, with a self-signed
// certificate that is refused unless InsecureSkipVerify.
func TestTLS(t *testing.T) {
	t.Parallel()
	conf, _ := testcert.Pair(t) // a self-signed certificate
	for _, mode := range []remote.TLSMode{remote.TLSStartTLS, remote.TLSImplicit} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			st, acc := newStore(t)
			f := newFakeServer(t, threeMsgs...)
			if mode == remote.TLSStartTLS {
				f.stls = conf
			} else {
				f.implicit = conf
			}
			if _, err := run(t, st, acc, f, func(o *Options) { o.TLS = mode }); err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Errorf("self-signed certificate accepted without InsecureSkipVerify: %v", err)
			}
			rep, err := run(t, st, acc, f, func(o *Options) { o.TLS, o.InsecureSkipVerify = mode, true })
			if err != nil || !rep.OK() {
				t.Fatalf("run: %v %+v", err, rep)
			}
			checkInbox(t, st, acc, threeMsgs)
			if mode == remote.TLSStartTLS && f.count("(TLS)") != 2 {
				t.Errorf("commands: %q", f.cmds)
			}
		})
	}
}

// TestExpungeMissing: at the cut-over, messages deleted at the old server
// since the bulk copy are expunged; mail delivered to Ferrymail itself is
// not, even with a UIDL that the old server no longer lists.
func TestExpungeMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, acc := newStore(t)
	f := newFakeServer(t, threeMsgs...)
	if rep, err := run(t, st, acc, f, nil); err != nil || !rep.OK() {
		t.Fatalf("run: %v %+v", err, rep)
	}
	mb, _ := st.Mailbox(ctx, acc.ID, "INBOX")
	native, err := st.Append(ctx, acc.ID, mb.ID, strings.NewReader("Subject: native\r\n\r\nx\r\n"), store.AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.msgs = []fakeMsg{threeMsgs[0], threeMsgs[2], {native.Message.UIDL, "Subject: not the native one\r\n\r\n"}}
	f.mu.Unlock()
	rep, err := runWith(t, st, acc, f, nil, importer.Options{ExpungeMissing: true, DryRun: true})
	if err != nil || rep.Mailboxes[0].Expunged != 1 {
		t.Fatalf("dry run: %v %+v", err, rep.Mailboxes[0])
	}
	rep, err = runWith(t, st, acc, f, nil, importer.Options{ExpungeMissing: true})
	if err != nil || rep.Mailboxes[0].Expunged != 1 {
		t.Fatalf("run: %v %+v", err, rep.Mailboxes[0])
	}
	msgs, err := st.Messages(ctx, acc.ID, mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	var uids []store.UID
	for _, m := range msgs {
		uids = append(uids, m.UID)
	}
	// The third source message's UIDL is the native message's: it is
	// imported (UID 5) with a UIDL from the template, with a warning.
	if fmt.Sprint(uids) != fmt.Sprint([]store.UID{1, 3, native.Message.UID, native.Message.UID + 1}) {
		t.Errorf("UIDs left: %v, want 1 3 %d %d", uids, native.Message.UID, native.Message.UID+1)
	}
	if w := strings.Join(rep.Mailboxes[0].Warnings, "\n"); !strings.Contains(w, "already used in this account") {
		t.Errorf("warnings: %s", w)
	}
}

// TestCancel: cancelling the import ends a read that waits for a server
// that does not answer, at once rather than at the I/O timeout.
func TestCancel(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	f := newFakeServer(t, threeMsgs...)
	f.stall = true
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := importer.Run(ctx, st, acc.ID, New(Options{Addr: f.addr(), User: "alice", Password: "pw", Timeout: time.Minute}), importer.Options{})
	if err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("Run: %v after %v, want the context's error soon", err, time.Since(start))
	}
}

// TestRepeatedUIDL: a broken server gives two messages one UIDL; both are
// imported (the second with a UIDL from the template), each its own
// message, and a re-run imports neither again.
func TestRepeatedUIDL(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	msgs := []fakeMsg{threeMsgs[0], {threeMsgs[0].uidl, "Subject: same UIDL\r\n\r\nother\r\n"}}
	f := newFakeServer(t, msgs...)
	rep, err := run(t, st, acc, f, nil)
	if err != nil || !rep.OK() || rep.Mailboxes[0].Imported != 2 {
		t.Fatalf("run: %v %+v", err, rep)
	}
	ctx := context.Background()
	mb, _ := st.Mailbox(ctx, acc.ID, "INBOX")
	r, err := st.OpenMessage(ctx, acc.ID, mb.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != msgs[1].body {
		t.Errorf("second message: %q", b)
	}
	if w := strings.Join(rep.Mailboxes[0].Warnings, "\n"); !strings.Contains(w, "message 2 repeats UIDL") {
		t.Errorf("warnings: %s", w)
	}
	rep, err = run(t, st, acc, f, nil)
	if err != nil || rep.Mailboxes[0].Imported != 0 || rep.Mailboxes[0].Skipped != 2 {
		t.Errorf("re-run: %v %+v", err, rep.Mailboxes[0])
	}
}
