package pop3src

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ferrymail/ferrymail/importer"
)

func manyMsgs(n int) []fakeMsg {
	var out []fakeMsg
	for i := 1; i <= n; i++ {
		body := fmt.Sprintf("From: a@example.org\r\nSubject: %d\r\n\r\n%s\r\n", i, strings.Repeat("line\r\n", i%50))
		if i%17 == 0 {
			body += strings.Repeat("a large message, spooled to a file\r\n", 10000)
		}
		out = append(out, fakeMsg{fmt.Sprintf("u%d", i), body})
	}
	return out
}

// TestPipelining: a server that offers PIPELINING gets RETRs sent before
// the answers to the ones before; every message arrives once, in order,
// with its UIDL.
func TestPipelining(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	msgs := manyMsgs(200)
	f := newFakeServer(t, msgs...)
	f.pipelining = true
	rep, err := run(t, st, acc, f, nil)
	if err != nil || !rep.OK() || rep.Mailboxes[0].Imported != len(msgs) {
		t.Fatalf("run: %v %+v", err, rep)
	}
	checkInbox(t, st, acc, msgs)
	if got := f.count("RETR"); got != len(msgs) {
		t.Errorf("%d RETR sent, want %d (one per message)", got, len(msgs))
	}
	f.mu.Lock()
	pipelined := f.pipelined
	f.mu.Unlock()
	if pipelined == 0 {
		t.Error("no RETR was pipelined")
	}
	if f.count("QUIT") != 1 {
		t.Errorf("%d QUIT, want 1", f.count("QUIT"))
	}
}

// TestPipeliningDrop: the connection drops in the middle of a pipelined
// batch; the run reconnects and resumes by UIDL, nothing lost or doubled.
func TestPipeliningDrop(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	msgs := manyMsgs(60)
	f := newFakeServer(t, msgs...)
	f.pipelining = true
	f.dropRETR[5] = 1
	f.dropRETR[40] = 2
	rep, err := run(t, st, acc, f, func(o *Options) { o.Backoff = 1 })
	if err != nil || !rep.OK() || rep.Mailboxes[0].Imported != len(msgs) {
		t.Fatalf("run: %v %+v", err, rep)
	}
	checkInbox(t, st, acc, msgs)
	if w := strings.Join(rep.Mailboxes[0].Warnings, "\n"); !strings.Contains(w, "connection lost during RETR 40") {
		t.Errorf("warnings: %s", w)
	}
}

// TestFetchAheadDelta: a re-run in which most messages were imported
// before RETRs only the new ones, though it fetches ahead once importing
// (fetching ahead stops at every skipped message).
func TestFetchAheadDelta(t *testing.T) {
	t.Parallel()
	st, acc := newStore(t)
	msgs := manyMsgs(80)
	f := newFakeServer(t, msgs[:10]...)
	f.pipelining = true
	if rep, err := run(t, st, acc, f, nil); err != nil || !rep.OK() {
		t.Fatalf("first run: %v %+v", err, rep)
	}
	// Three new messages at the end, and the old ones again.
	f.msgs = append(append([]fakeMsg{}, msgs[:10]...), msgs[10:13]...)
	before := f.count("RETR")
	rep, err := run(t, st, acc, f, nil)
	if err != nil || !rep.OK() || rep.Mailboxes[0].Imported != 3 || rep.Mailboxes[0].Skipped != 10 {
		t.Fatalf("re-run: %v %+v", err, rep.Mailboxes[0])
	}
	if got := f.count("RETR") - before; got != 3 {
		t.Errorf("re-run sent %d RETR, want 3", got)
	}
	checkInbox(t, st, acc, msgs[:13])
}

// TestFetchAheadReopen: the importer opens a message again when its batch
// was refused (here: a UIDL already taken, so the batch is retried one by
// one); the fetcher fetches it again.
func TestFetchAheadReopen(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, manyMsgs(5)...)
	f.pipelining = true
	src := New(Options{Addr: f.addr(), User: "alice", Password: "pw"})
	ctx := context.Background()
	if _, err := src.Mailboxes(ctx); err != nil {
		t.Fatal(err)
	}
	it, err := src.Messages(ctx, &importer.Mailbox{Name: "INBOX"})
	if err != nil {
		t.Fatal(err)
	}
	var first *importer.Message
	for i := 0; i < 3; i++ {
		m, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = m
		}
		rc, err := m.Open()
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	rc, err := first.Open()
	if err != nil {
		t.Fatalf("opening message 1 again: %v", err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !strings.Contains(string(b), "Subject: 1\n") {
		t.Errorf("message 1 opened again: %q, %v", b, err)
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if got := f.count("RETR 1"); got != 2 {
		t.Errorf("RETR 1 sent %d times, want 2", got)
	}
}
