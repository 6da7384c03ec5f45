package imap

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// BenchmarkSelectedViewMemory measures what one selected mailbox costs a
// session (issue 8, "Scale"): the view SELECT builds over a mailbox of
// FERRYMAIL_BENCH_MESSAGES messages (default 100,000) whose store index is
// already loaded, as every SELECT after the first finds it. Reported per
// message: the heap the view keeps (view-B/msg, measured after a GC with
// the view alive) and what building it allocated in all (alloc-B/msg,
// transient copies included); ns/op is the time to build the view, the
// part of SELECT that grows with the mailbox.
//
//	go test -run '^$' -bench SelectedViewMemory -benchtime 5x ./imap/
func BenchmarkSelectedViewMemory(b *testing.B) {
	n := benchCount("FERRYMAIL_BENCH_MESSAGES", 100000)
	e := newTestEnv(b)
	mb := fillFlagged(b, e, "Big", n)
	ctx := context.Background()
	if _, err := e.store.MessageSummaries(ctx, e.acct.ID, mb.ID); err != nil { // load the shared index
		b.Fatal(err)
	}
	var kept, alloc uint64
	var rounds int
	var elapsed time.Duration
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		sub := e.store.Subscribe(e.acct.ID)
		b.StartTimer()
		start := time.Now()
		v, err := newView(ctx, e.store, e.acct.ID, mb, sub, false)
		elapsed += time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		alloc += after.TotalAlloc - before.TotalAlloc
		runtime.GC()
		runtime.ReadMemStats(&after)
		if len(v.msgs) != n {
			b.Fatalf("view has %d messages, want %d", len(v.msgs), n)
		}
		kept += after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
		runtime.KeepAlive(v)
		sub.Close()
		rounds++
		b.StartTimer()
	}
	b.ReportMetric(float64(kept)/float64(rounds)/float64(n), "view-B/msg")
	b.ReportMetric(float64(alloc)/float64(rounds)/float64(n), "alloc-B/msg")
	b.ReportMetric(float64(elapsed.Microseconds())/1000/float64(rounds), "ms-view")
	b.ReportMetric(float64(n), "messages")
}

// fillFlagged imports n small messages into a new mailbox with a mix of
// flags like a real mailbox's (most seen, some answered or flagged, a few
// with a keyword), in batches of 500 (the store's bulk path).
func fillFlagged(b *testing.B, e *testEnv, name string, n int) store.Mailbox {
	b.Helper()
	ctx := context.Background()
	mb, err := e.store.CreateMailbox(ctx, e.acct.ID, name, store.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	date := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 1; start <= n; start += 500 {
		var batch []store.ImportMessage
		for uid := start; uid < start+500 && uid <= n; uid++ {
			var flags []string
			if uid%10 != 0 {
				flags = append(flags, store.FlagSeen)
			}
			if uid%7 == 0 {
				flags = append(flags, `\Answered`)
			}
			if uid%31 == 0 {
				flags = append(flags, `\Flagged`)
			}
			if uid%101 == 0 {
				flags = append(flags, "$Work")
			}
			batch = append(batch, store.ImportMessage{UID: store.UID(uid), Flags: flags,
				InternalDate: date.Add(time.Duration(uid) * time.Minute),
				Body:         strings.NewReader(simpleMsg), SourceKey: fmt.Sprint(uid)})
		}
		if _, err := e.store.Import(ctx, e.acct.ID, mb.ID, batch, store.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	mb, err = e.store.MailboxByID(ctx, e.acct.ID, mb.ID)
	if err != nil {
		b.Fatal(err)
	}
	return mb
}

// The view keeps neither INTERNALDATE nor size (msgView): FETCH and SEARCH
// read them from the store's index and must answer exactly as before, and
// flags kept as interned IDs must come back as the right lists.
func TestViewReadsDateAndSizeFromIndex(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	inbox := e.mailbox("INBOX")
	day := time.Date(2021, 3, 5, 9, 11, 12, 0, time.UTC)
	bodies := []string{"Subject: a\r\n\r\nx\r\n", "Subject: b\r\n\r\n" + strings.Repeat("y", 500) + "\r\n", "Subject: c\r\n\r\n" + strings.Repeat("z", 5000) + "\r\n"}
	flags := [][]string{{store.FlagSeen}, nil, {store.FlagSeen, "$Work"}}
	for i, body := range bodies {
		if _, err := e.store.Append(ctx, e.acct.ID, inbox.ID, strings.NewReader(body), store.AppendOptions{Flags: flags[i], InternalDate: day.AddDate(0, 0, 10*i)}); err != nil {
			t.Fatal(err)
		}
	}
	r := e.preauth().raw()
	r.mustOK("SELECT INBOX")
	u := r.mustOK("FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE)")
	want := []string{
		fmt.Sprintf(`* 1 FETCH (UID 1 FLAGS (\Seen) INTERNALDATE " 5-Mar-2021 09:11:12 +0000" RFC822.SIZE %d)`, len(bodies[0])),
		fmt.Sprintf(`* 2 FETCH (UID 2 FLAGS () INTERNALDATE "15-Mar-2021 09:11:12 +0000" RFC822.SIZE %d)`, len(bodies[1])),
		fmt.Sprintf(`* 3 FETCH (UID 3 FLAGS (\Seen $Work) INTERNALDATE "25-Mar-2021 09:11:12 +0000" RFC822.SIZE %d)`, len(bodies[2])),
	}
	if len(u) != 3 {
		t.Fatalf("FETCH: %q", u)
	}
	for i := range want {
		if strings.TrimSpace(u[i]) != want[i] {
			t.Errorf("FETCH line %d: %q, want %q", i+1, u[i], want[i])
		}
	}
	for q, hits := range map[string]string{
		"SEARCH LARGER 100":                          "* SEARCH 2 3",
		"SEARCH SMALLER 100":                         "* SEARCH 1",
		"SEARCH NOT LARGER 1000":                     "* SEARCH 1 2",
		"SEARCH SINCE 15-Mar-2021":                   "* SEARCH 2 3",
		"SEARCH BEFORE 15-Mar-2021":                  "* SEARCH 1",
		"SEARCH SINCE 6-Mar-2021 BEFORE 25-Mar-2021": "* SEARCH 2",
		"SEARCH OR SMALLER 100 KEYWORD $Work":        "* SEARCH 1 3",
		"SEARCH UNSEEN LARGER 10":                    "* SEARCH 2",
	} {
		u := r.mustOK("%s", q)
		if len(u) != 1 || strings.TrimSpace(u[0]) != hits {
			t.Errorf("%s: %q, want %q", q, u, hits)
		}
	}

	// Another session's flag change arrives as an interned flag set.
	if _, err := e.store.StoreFlags(ctx, e.acct.ID, inbox.ID, []store.UID{2}, store.FlagsAdd, []string{`\Flagged`, "$Work"}, store.StoreFlagsOptions{}); err != nil {
		t.Fatal(err)
	}
	u = r.mustOK("NOOP")
	if len(u) != 1 || !strings.Contains(u[0], `* 2 FETCH (UID 2 FLAGS (\Flagged $Work))`) {
		t.Errorf("NOOP after a flag change: %q", u)
	}
	u = r.mustOK("FETCH 1:* (FLAGS)")
	if len(u) != 3 || !strings.Contains(u[0], `FLAGS (\Seen)`) || !strings.Contains(u[1], `FLAGS (\Flagged $Work)`) || !strings.Contains(u[2], `FLAGS (\Seen $Work)`) {
		t.Errorf("FETCH FLAGS: %q", u)
	}
}

// A message expunged after the view's last sync is still in the view (its
// EXPUNGE waits, RFC 9051 §7.5.1) but gone from the index: dateSize says
// so, and FETCH and SEARCH leave it out as they do a message whose bytes
// are gone.
func TestIndexLookupAfterExpungeMeanwhile(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	inbox := e.mailbox("INBOX")
	a1 := e.deliver("INBOX", simpleMsg)
	a2 := e.deliver("INBOX", simpleMsg)
	sub := e.store.Subscribe(e.acct.ID)
	v, err := newView(ctx, e.store, e.acct.ID, inbox, sub, false)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	v.mu.Lock() // no sync until we are done: the view keeps message 2
	defer v.mu.Unlock()
	if _, err := e.store.Expunge(ctx, e.acct.ID, inbox.ID, []store.UID{a2.Message.UID}); err != nil {
		t.Fatal(err)
	}
	if len(v.msgs) != 2 || v.msgs[1].gone() {
		t.Fatalf("view changed without a sync: %+v", v.msgs)
	}
	acct := e.acct
	ix := &indexLookup{s: &session{srv: e.srv, ctx: ctx, acct: &acct}, v: v}
	date, size, ok, err := ix.dateSize(a1.Message.UID)
	if err != nil || !ok || !date.Equal(a1.Message.InternalDate) || size != a1.Message.Size {
		t.Errorf("dateSize(1) = %v %d %v %v, want %v %d", date, size, ok, err, a1.Message.InternalDate, a1.Message.Size)
	}
	if _, _, ok, err := ix.dateSize(a2.Message.UID); ok || err != nil {
		t.Errorf("dateSize of the expunged message: ok %v, err %v", ok, err)
	}
}

// BenchmarkSearchDateSize: SEARCH and FETCH on INTERNALDATE and size over
// every message of a 100,000-message mailbox, the commands that read the
// store's index since the view stopped keeping them (one op is both).
//
//	go test -run '^$' -bench SearchDateSize -benchtime 5x ./imap/
func BenchmarkSearchDateSize(b *testing.B) {
	n := benchCount("FERRYMAIL_BENCH_MESSAGES", 100000)
	e := newTestEnv(b)
	fillFlagged(b, e, "Big", n)
	r := e.pre(b).raw()
	r.mustOK("SELECT Big")
	var search, fetch time.Duration
	rounds := 0
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if u := r.mustOK("SEARCH RETURN (COUNT) LARGER 10 SINCE 1-Jan-2000"); len(u) != 1 || !strings.Contains(u[0], fmt.Sprintf("COUNT %d", n)) {
			b.Fatalf("%q", u)
		}
		search += time.Since(start)
		start = time.Now()
		if u := r.mustOK("FETCH 1:* (INTERNALDATE RFC822.SIZE)"); len(u) != n {
			b.Fatalf("%d FETCH responses", len(u))
		}
		fetch += time.Since(start)
		rounds++
	}
	b.ReportMetric(float64(search.Microseconds())/1000/float64(rounds), "ms-search")
	b.ReportMetric(float64(fetch.Microseconds())/1000/float64(rounds), "ms-fetch")
}

// A session whose messages keep getting new keyword combinations does not
// keep every combination it has seen: the flag-set table is compacted, and
// every message keeps its flags.
func TestViewFlagSetsCompacted(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	inbox := e.mailbox("INBOX")
	e.deliver("INBOX", simpleMsg, store.FlagSeen)
	e.deliver("INBOX", simpleMsg)
	e.deliver("INBOX", simpleMsg, store.FlagSeen, "$Work")
	sub := e.store.Subscribe(e.acct.ID)
	defer sub.Close()
	v, err := newView(ctx, e.store, e.acct.ID, inbox, sub, false)
	if err != nil {
		t.Fatal(err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	const rounds = 3 * minFlagSetsCompacted
	for k := range rounds {
		v.setFlags(&v.msgs[1], []string{fmt.Sprintf("$k%d", k)}, uint64(100+k))
		if len(v.flagSets) > minFlagSetsCompacted+1 {
			t.Fatalf("round %d: %d flag sets kept for %d messages", k, len(v.flagSets), len(v.msgs))
		}
	}
	want := [][]string{{store.FlagSeen}, {fmt.Sprintf("$k%d", rounds-1)}, {store.FlagSeen, "$Work"}}
	for i := range v.msgs {
		if got := v.flags(&v.msgs[i]); strings.Join(got, " ") != strings.Join(want[i], " ") {
			t.Errorf("message %d: flags %q, want %q", i+1, got, want[i])
		}
	}
	if v.msgs[1].modseq != uint64(100+rounds-1) || v.msgs[1].gone() || v.msgs[1].dirty() {
		t.Errorf("message 2: %+v", v.msgs[1])
	}
}
