package imapsrc

import (
	"context"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/internal/importtest"
	"github.com/ferrymail/ferrymail/importer/remote"
	"github.com/ferrymail/ferrymail/internal/testcert"
	"github.com/ferrymail/ferrymail/store"
)

// newStore is the store every test imports into.
func newStore(t testing.TB) (*store.Store, store.Account) { return importtest.NewStore(t) }

// opts are the options every test uses: fast back-off, the fake's login.
func (f *fakeServer) opts() Options {
	return Options{Addr: f.addr(), User: "bob", Password: "secret", Timeout: 30 * time.Second, Backoff: 5 * time.Millisecond}
}

func runImport(t *testing.T, st *store.Store, acc store.Account, o Options, io importer.Options) *importer.Report {
	t.Helper()
	src := New(o)
	defer src.Close()
	rep, err := importer.Run(context.Background(), st, acc.ID, src, io)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

// checkStandard fails on any command a legacy server may refuse or that
// would change the source.
func checkStandard(t *testing.T, f *fakeServer) {
	t.Helper()
	for _, l := range f.received() {
		up := strings.ToUpper(l)
		for _, bad := range []string{"RFC822.PEEK", " SELECT ", " STORE ", " EXPUNGE", " BODY[", " RFC822 ", " RFC822)", "XLIST", " CLOSE"} {
			if strings.Contains(up+" ", bad) {
				t.Errorf("the source sent %q (contains %q)", l, bad)
			}
		}
	}
}

// stored returns the target mailbox's messages with their bodies.
func stored(t *testing.T, st *store.Store, acc store.Account, name string) (store.Mailbox, []store.Message, map[store.UID]string) {
	t.Helper()
	ctx := context.Background()
	mb, err := st.Mailbox(ctx, acc.ID, name)
	if err != nil {
		t.Fatalf("mailbox %q: %v", name, err)
	}
	msgs, err := st.Messages(ctx, acc.ID, mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[store.UID]string{}
	for _, m := range msgs {
		r, err := st.OpenMessage(ctx, acc.ID, mb.ID, m.UID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		bodies[m.UID] = string(b)
	}
	return mb, msgs, bodies
}

func wantUIDs(t *testing.T, msgs []store.Message, want ...store.UID) {
	t.Helper()
	var got []store.UID
	for _, m := range msgs {
		got = append(got, m.UID)
	}
	if len(got) != len(want) {
		t.Fatalf("UIDs %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("UIDs %v, want %v", got, want)
		}
	}
}

func failures(rep *importer.Report) []importer.Failure {
	var out []importer.Failure
	for _, m := range rep.Mailboxes {
		out = append(out, m.Failures...)
	}
	return out
}

func warnings(rep *importer.Report) string {
	var out []string
	for _, m := range rep.Mailboxes {
		out = append(out, m.Warnings...)
		if m.Err != nil {
			out = append(out, "ERR "+m.Err.Error())
		}
	}
	return strings.Join(out, "\n")
}

func bodyFetches(f *fakeServer) int {
	n := 0
	for _, l := range f.received() {
		if strings.Contains(l, "BODY.PEEK[") {
			n++
		}
	}
	return n
}

func TestImportKeepsIdentifiers(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 1275660208, next: 40, subscribed: true, msgs: msgs(3, 12)}
	inbox.msgs[0].flags = `\Seen \Answered $Forwarded \Recent`
	inbox.msgs[0].date = " 7-Jul-1996 02:44:25 +0200"
	sent := &fakeBox{name: "INBOX.Sent Items", attrs: `\HasNoChildren \Sent`, uv: 77, next: 3, subscribed: true, msgs: msgs(1, 1)}
	archive := &fakeBox{name: "Archive", attrs: `\Noselect \HasChildren`, uv: 1, next: 1}
	y2020 := &fakeBox{name: "Archive.2020", uv: 5, next: 9, msgs: msgs(2, 3)}
	empty := &fakeBox{name: "Empty", uv: 6, next: 1}
	f := newFakeServer(t, inbox, sent, archive, y2020, empty)
	st, acc := newStore(t)
	rep := runImport(t, st, acc, f.opts(), importer.Options{})
	if !rep.OK() {
		t.Fatalf("report not OK: %s", warnings(rep))
	}
	mb, ms, bodies := stored(t, st, acc, "INBOX")
	if mb.UIDValidity != 1275660208 || mb.UIDNext != 40 || !mb.Subscribed {
		t.Errorf("INBOX: UIDVALIDITY %d UIDNEXT %d subscribed %v, want 1275660208 40 true", mb.UIDValidity, mb.UIDNext, mb.Subscribed)
	}
	if len(ms) != 12 || ms[0].UID != 3 || ms[11].UID != 25 {
		t.Fatalf("INBOX has %d messages", len(ms))
	}
	if got := strings.Join(ms[0].Flags, " "); got != `\Seen \Answered $Forwarded` {
		t.Errorf("flags %q", got)
	}
	if want := time.Date(1996, 7, 7, 0, 44, 25, 0, time.UTC); !ms[0].InternalDate.Equal(want) {
		t.Errorf("INTERNALDATE %v, want %v", ms[0].InternalDate, want)
	}
	if bodies[25] != inbox.msgs[11].body {
		t.Errorf("body of UID 25: %q", bodies[25])
	}
	smb, sms, _ := stored(t, st, acc, "INBOX/Sent Items")
	if smb.SpecialUse != store.SpecialSent || smb.UIDValidity != 77 || len(sms) != 1 {
		t.Errorf("Sent: %+v, %d messages", smb, len(sms))
	}
	_, yms, _ := stored(t, st, acc, "Archive/2020")
	wantUIDs(t, yms, 2, 4, 6)
	if _, err := st.Mailbox(context.Background(), acc.ID, "Empty"); err != nil {
		t.Errorf("empty mailbox: %v", err)
	}
	checkStandard(t, f)

	// The second run is the cut-over's delta: no body is fetched again,
	// a flag change and a new message come across.
	before := bodyFetches(f)
	inbox.msgs[1].flags = `\Seen \Flagged`
	inbox.msgs = append(inbox.msgs, fakeMsg{uid: 41, flags: "", date: "01-Jan-2024 10:00:00 +0000", body: "Subject: new\r\n\r\nnew\r\n"})
	inbox.next = 42
	rep = runImport(t, st, acc, f.opts(), importer.Options{})
	if !rep.OK() {
		t.Fatalf("second run: %s", warnings(rep))
	}
	if n := bodyFetches(f) - before; n != 1 {
		t.Errorf("the second run sent %d body fetches, want 1 (the new message)", n)
	}
	_, ms, _ = stored(t, st, acc, "INBOX")
	if len(ms) != 13 || ms[12].UID != 41 || !ms[1].HasFlag(store.FlagFlagged) {
		t.Errorf("after the delta: %d messages, last UID %d, flags of UID 5 %v", len(ms), ms[len(ms)-1].UID, ms[1].Flags)
	}
}

func TestBatchesGrowAndStayBounded(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 9, next: 500, msgs: msgs(1, 120)}
	f := newFakeServer(t, inbox)
	st, acc := newStore(t)
	o := f.opts()
	o.BatchCount = 16
	rep := runImport(t, st, acc, o, importer.Options{})
	if !rep.OK() {
		t.Fatal(warnings(rep))
	}
	_, ms, _ := stored(t, st, acc, "INBOX")
	if len(ms) != 120 {
		t.Fatalf("%d messages", len(ms))
	}
	// 1+2+4+8 then batches of 16: 4 + ceil(105/16) = 11 fetches.
	if n := bodyFetches(f); n > 12 {
		t.Errorf("%d body fetches for 120 messages with batches up to 16", n)
	}
}

func TestUnknownResponsesAndFetchItems(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 3, next: 20, msgs: msgs(1, 5)}
	f := newFakeServer(t, inbox)
	f.unknownResponses = true
	st, acc := newStore(t)
	rep := runImport(t, st, acc, f.opts(), importer.Options{})
	if !rep.OK() {
		t.Fatal(warnings(rep))
	}
	_, ms, bodies := stored(t, st, acc, "INBOX")
	wantUIDs(t, ms, 1, 3, 5, 7, 9)
	if bodies[9] != inbox.msgs[4].body {
		t.Errorf("body %q", bodies[9])
	}
	checkStandard(t, f)
}

func TestMailboxNamesNotModifiedUTF7(t *testing.T) {
	boxes := []*fakeBox{
		{name: "INBOX", uv: 1, next: 2, msgs: msgs(1, 1)},
		{name: "Foo & Bar", uv: 2, next: 2, msgs: msgs(1, 1)},
		{name: "Caf\xe9", uv: 3, next: 2, msgs: msgs(1, 1)},
		{name: "Stra\xc3\x9fe", uv: 4, next: 2, msgs: msgs(1, 1)},
		{name: "Entw&APw-rfe", uv: 5, next: 2, msgs: msgs(1, 1)},
		{name: "50% off*", uv: 6, next: 2, msgs: msgs(1, 1)},
	}
	f := newFakeServer(t, boxes...)
	st, acc := newStore(t)
	rep := runImport(t, st, acc, f.opts(), importer.Options{})
	if !rep.OK() {
		t.Fatal(warnings(rep))
	}
	for _, name := range []string{"Foo & Bar", "Café", "Straße", "Entwürfe", "50_ off_"} {
		_, ms, _ := stored(t, st, acc, name)
		wantUIDs(t, ms, 1)
	}
	w := warnings(rep)
	for _, want := range []string{`"Foo & Bar" is not valid modified UTF-7`, "taken as Latin-1", "taken as UTF-8"} {
		if !strings.Contains(w, want) {
			t.Errorf("no warning %q in\n%s", want, w)
		}
	}
	// EXAMINE sent the server's own bytes back.
	found := false
	for _, l := range f.received() {
		found = found || strings.Contains(l, "EXAMINE \"Caf\xe9\"")
	}
	if !found {
		t.Errorf("EXAMINE of the Latin-1 name not sent with its raw bytes: %q", f.received())
	}
}

func TestFetchItemsInAnyOrder(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 3, next: 20, msgs: msgs(4, 6)}
	f := newFakeServer(t, inbox)
	f.uidLast = true
	st, acc := newStore(t)
	rep := runImport(t, st, acc, f.opts(), importer.Options{})
	if !rep.OK() {
		t.Fatal(warnings(rep))
	}
	_, ms, bodies := stored(t, st, acc, "INBOX")
	wantUIDs(t, ms, 4, 6, 8, 10, 12, 14)
	if bodies[14] != inbox.msgs[5].body {
		t.Errorf("body %q", bodies[14])
	}
	checkStandard(t, f)
}

// TestFetchWithoutUID: a server that leaves UID out of its UID FETCH
// answers is understood by the listing's sequence numbers.
func TestFetchWithoutUID(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 3, next: 20, msgs: msgs(4, 5)}
	f := newFakeServer(t, inbox)
	f.noBodyUID = true
	st, acc := newStore(t)
	rep := runImport(t, st, acc, f.opts(), importer.Options{})
	if !rep.OK() {
		t.Fatal(warnings(rep))
	}
	_, ms, bodies := stored(t, st, acc, "INBOX")
	wantUIDs(t, ms, 4, 6, 8, 10, 12)
	for i, m := range inbox.msgs {
		if bodies[store.UID(m.uid)] != m.body {
			t.Errorf("message %d: UID %d holds %q", i, m.uid, bodies[store.UID(m.uid)])
		}
	}
}

func TestSizeDiffersFromBytes(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 3, next: 20, msgs: msgs(1, 3)}
	f := newFakeServer(t, inbox)
	f.sizeDelta[3] = 1000
	st, acc := newStore(t)
	rep := runImport(t, st, acc, f.opts(), importer.Options{})
	if !rep.OK() {
		t.Fatal(warnings(rep))
	}
	_, ms, bodies := stored(t, st, acc, "INBOX")
	if ms[1].Size != int64(len(inbox.msgs[1].body)) || bodies[3] != inbox.msgs[1].body {
		t.Errorf("UID 3: size %d, body %q", ms[1].Size, bodies[3])
	}
	if w := warnings(rep); !strings.Contains(w, "RFC822.SIZE said") {
		t.Errorf("no size warning:\n%s", w)
	}
	checkStandard(t, f)
}

func TestRefusedMessageIsRetriedAnotherWay(t *testing.T) {
	for _, kind := range []string{"BAD", "NO"} {
		t.Run(kind, func(t *testing.T) {
			inbox := &fakeBox{name: "INBOX", uv: 3, next: 20, msgs: msgs(1, 8)}
			f := newFakeServer(t, inbox)
			f.refuse[5] = kind // BODY.PEEK[] refused, HEADER + TEXT works
			f.refuse[9] = kind
			f.refuseAll[9] = true // refused every way
			st, acc := newStore(t)
			rep := runImport(t, st, acc, f.opts(), importer.Options{})
			_, ms, bodies := stored(t, st, acc, "INBOX")
			wantUIDs(t, ms, 1, 3, 5, 7, 11, 13, 15)
			if bodies[5] != inbox.msgs[2].body {
				t.Errorf("UID 5 put together from HEADER and TEXT: %q", bodies[5])
			}
			fl := failures(rep)
			if len(fl) != 1 || !strings.Contains(fl[0].Where, "UID 9") || !strings.Contains(fl[0].Reason, kind) {
				t.Errorf("failures %+v, want UID 9 only", fl)
			}
			checkStandard(t, f)
		})
	}
}

func TestNILBody(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 3, next: 20, msgs: msgs(1, 4)}
	f := newFakeServer(t, inbox)
	f.nilBody[3] = true
	f.nilAlways[5] = true
	st, acc := newStore(t)
	rep := runImport(t, st, acc, f.opts(), importer.Options{})
	_, ms, bodies := stored(t, st, acc, "INBOX")
	wantUIDs(t, ms, 1, 3, 7)
	if bodies[3] != inbox.msgs[1].body {
		t.Errorf("UID 3: %q", bodies[3])
	}
	fl := failures(rep)
	if len(fl) != 1 || !strings.Contains(fl[0].Where, "UID 5") || !strings.Contains(fl[0].Reason, "NIL") {
		t.Errorf("failures %+v, want UID 5 with NIL", fl)
	}
	checkStandard(t, f)
}

func TestMissingUIDNextAndUIDValidity(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 4242, next: 99, msgs: msgs(1, 2)}
	f := newFakeServer(t, inbox)
	f.noUIDCodes = true
	st, acc := newStore(t)
	rep := runImport(t, st, acc, f.opts(), importer.Options{})
	if !rep.OK() {
		t.Fatal(warnings(rep))
	}
	mb, ms, _ := stored(t, st, acc, "INBOX")
	if mb.UIDValidity != 4242 || mb.UIDNext != 99 {
		t.Errorf("UIDVALIDITY %d UIDNEXT %d, want 4242 99 from STATUS", mb.UIDValidity, mb.UIDNext)
	}
	wantUIDs(t, ms, 1, 3)
	checkStandard(t, f)
}

func TestThrottlingAndDroppedConnection(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 3, next: 200, msgs: msgs(1, 40)}
	other := &fakeBox{name: "Other", uv: 4, next: 9, msgs: msgs(1, 3)}
	f := newFakeServer(t, inbox, other)
	f.throttle = 2 // two NO [UNAVAILABLE] in a row
	st, acc := newStore(t)
	o := f.opts()
	o.BatchCount = 8
	// Drop the connection mid-mailbox: after some messages were read.
	n := 0
	src := New(o)
	defer src.Close()
	prog := func(p importer.Progress) {
		if n++; n == 1 {
			f.mu.Lock()
			f.drop = 2
			f.mu.Unlock()
		}
	}
	rep, err := importer.Run(context.Background(), st, acc.ID, src, importer.Options{BatchCount: 10, Progress: prog})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatal(warnings(rep))
	}
	_, ms, bodies := stored(t, st, acc, "INBOX")
	if len(ms) != 40 || bodies[79] != inbox.msgs[39].body {
		t.Fatalf("%d messages after throttling and drops:\n%s", len(ms), warnings(rep))
	}
	_, oms, _ := stored(t, st, acc, "Other")
	wantUIDs(t, oms, 1, 3, 5)
	if c := f.connections(); c < 4 {
		t.Errorf("%d connections: the drops and throttling did not reconnect", c)
	}
	if w := warnings(rep); !strings.Contains(w, "UNAVAILABLE") || !strings.Contains(w, "connected again") {
		t.Errorf("warnings do not tell of the throttling and the reconnect:\n%s", w)
	}
	checkStandard(t, f)
}

func TestServerThatNeverComesBack(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 3, next: 200, msgs: msgs(1, 5)}
	f := newFakeServer(t, inbox)
	f.throttle = 1000
	st, acc := newStore(t)
	o := f.opts()
	o.Attempts = 3
	rep := runImport(t, st, acc, o, importer.Options{})
	if rep.OK() {
		t.Fatal("a server that throttles for ever gave an OK report")
	}
	_, ms, _ := stored(t, st, acc, "INBOX")
	if len(ms) != 0 {
		t.Errorf("%d messages", len(ms))
	}
}

func TestLoginDisabledUsesAuthenticatePlain(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 3, next: 20, msgs: msgs(1, 1)}
	f := newFakeServer(t, inbox)
	f.loginDisabled = true
	st, acc := newStore(t)
	o := f.opts()
	o.Password = "pässwörd"
	rep := runImport(t, st, acc, o, importer.Options{})
	if !rep.OK() {
		t.Fatal(warnings(rep))
	}
	want := "PLAIN:" + base64.StdEncoding.EncodeToString([]byte("\x00bob\x00pässwörd"))
	if len(f.logins) == 0 || f.logins[0] != want {
		t.Errorf("logins %q, want %q", f.logins, want)
	}
}

func TestLoginWithLiteralPassword(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 3, next: 20, msgs: msgs(1, 1)}
	f := newFakeServer(t, inbox)
	st, acc := newStore(t)
	o := f.opts()
	o.Password = "pä\"ss"
	rep := runImport(t, st, acc, o, importer.Options{})
	if !rep.OK() {
		t.Fatal(warnings(rep))
	}
	if len(f.logins) == 0 || f.logins[0] != "bob:pä\"ss" {
		t.Errorf("logins %q", f.logins)
	}
}

func TestIncludeExcludeRename(t *testing.T) {
	f := newFakeServer(t,
		&fakeBox{name: "INBOX", uv: 1, next: 2, msgs: msgs(1, 1)},
		&fakeBox{name: "INBOX.Sent", uv: 2, next: 2, msgs: msgs(1, 1)},
		&fakeBox{name: "INBOX.Old", uv: 3, next: 2, msgs: msgs(1, 1)},
		&fakeBox{name: "INBOX.Old.2019", uv: 4, next: 2, msgs: msgs(1, 1)},
		&fakeBox{name: "Spam", uv: 5, next: 2, msgs: msgs(1, 1)},
	)
	st, acc := newStore(t)
	o := f.opts()
	o.Exclude = []string{"Spam"}
	o.Rename = map[string]string{"INBOX.Sent": "Sent", "INBOX/Old": "Archive"}
	rep := runImport(t, st, acc, o, importer.Options{})
	if !rep.OK() {
		t.Fatal(warnings(rep))
	}
	boxes, err := st.Mailboxes(context.Background(), acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, b := range boxes {
		have[b.Name] = true
	}
	for name, want := range map[string]bool{"Archive": true, "Archive/2019": true, "Sent": true, "INBOX": true,
		"INBOX/Sent": false, "INBOX/Old": false, "Spam": false} {
		if have[name] != want {
			t.Errorf("mailbox %q exists: %v, want %v (all: %v)", name, have[name], want, have)
		}
	}
	_, ms, _ := stored(t, st, acc, "Archive/2019")
	wantUIDs(t, ms, 1)
}

func TestDryRunAndExpungeMissing(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 3, next: 20, msgs: msgs(1, 4)}
	f := newFakeServer(t, inbox)
	st, acc := newStore(t)
	rep := runImport(t, st, acc, f.opts(), importer.Options{DryRun: true})
	if rep.Mailboxes[0].Imported != 4 || bodyFetches(f) != 0 {
		t.Errorf("dry run: %d to import, %d body fetches", rep.Mailboxes[0].Imported, bodyFetches(f))
	}
	if _, err := st.Mailbox(context.Background(), acc.ID, "INBOX"); err == nil {
		if _, ms, _ := stored(t, st, acc, "INBOX"); len(ms) != 0 {
			t.Errorf("dry run stored %d messages", len(ms))
		}
	}
	runImport(t, st, acc, f.opts(), importer.Options{})
	inbox.msgs = append(inbox.msgs[:1], inbox.msgs[2:]...) // UID 3 expunged at the source
	rep = runImport(t, st, acc, f.opts(), importer.Options{ExpungeMissing: true})
	if rep.Mailboxes[0].Expunged != 1 {
		t.Errorf("expunged %d, want 1: %s", rep.Mailboxes[0].Expunged, warnings(rep))
	}
	_, ms, _ := stored(t, st, acc, "INBOX")
	wantUIDs(t, ms, 1, 5, 7)
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		p, n string
		want bool
	}{{"*", "a/b", true}, {"%", "a/b", false}, {"a/%", "a/b", true}, {"a/*", "a/b/c", true},
		{"Arch*", "Archive/2020", true}, {"Spam", "Spam", true}, {"Spam", "Spam/x", false}, {"%/x", "a/x", true}} {
		if got := Match(c.p, c.n); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.p, c.n, got, c.want)
		}
	}
}

// TestTLS: STARTTLS (RFC 9051 §6.2.1) and implicit TLS (RFC 8314), with a
// self-signed certificate that is refused unless InsecureSkipVerify.
func TestTLS(t *testing.T) {
	for _, mode := range []remote.TLSMode{remote.TLSStartTLS, remote.TLSImplicit} {
		t.Run(mode.String(), func(t *testing.T) {
			f := newFakeServer(t, &fakeBox{name: "INBOX", uv: 3, next: 20, msgs: msgs(1, 2)})
			if mode == remote.TLSStartTLS {
				f.starttls, _ = testcert.Pair(t) // a self-signed certificate
			} else {
				f.implicit, _ = testcert.Pair(t)
			}
			st, acc := newStore(t)
			o := f.opts()
			o.TLS, o.Attempts = mode, 1
			if _, err := importer.Run(context.Background(), st, acc.ID, New(o), importer.Options{}); err == nil {
				t.Fatal("a self-signed certificate was accepted without InsecureSkipVerify")
			}
			o.InsecureSkipVerify = true
			rep := runImport(t, st, acc, o, importer.Options{})
			if !rep.OK() {
				t.Fatal(warnings(rep))
			}
			_, ms, _ := stored(t, st, acc, "INBOX")
			wantUIDs(t, ms, 1, 3)
			if mode == remote.TLSStartTLS {
				for _, l := range f.received() {
					if strings.Contains(l, "LOGIN") {
						break
					}
					if strings.Contains(l, "STARTTLS") {
						return
					}
				}
				t.Errorf("LOGIN before STARTTLS: %q", f.received())
			}
		})
	}
}

// TestLargeMessageIsSpooled: a body above the in-memory bound goes
// through a spool file and arrives whole.
func TestLargeMessageIsSpooled(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 3, next: 20, msgs: msgs(1, 3)}
	big := strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", 40000) // 2.5 MiB
	inbox.msgs[1].body = "Subject: big\r\n\r\n" + big
	f := newFakeServer(t, inbox)
	st, acc := newStore(t)
	o := f.opts()
	o.SpoolDir = t.TempDir()
	rep := runImport(t, st, acc, o, importer.Options{})
	if !rep.OK() {
		t.Fatal(warnings(rep))
	}
	_, _, bodies := stored(t, st, acc, "INBOX")
	if bodies[3] != inbox.msgs[1].body {
		t.Errorf("the large message arrived with %d octets, want %d", len(bodies[3]), len(inbox.msgs[1].body))
	}
	checkStandard(t, f)
}

// TestClientReadsForAVerifier: the exported, read-only client on a
// CONDSTORE server: LIST with subscriptions and special use, EXAMINE with
// HIGHESTMODSEQ, the listing with MODSEQ.
func TestClientReadsForAVerifier(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 8, next: 30, subscribed: true, msgs: msgs(2, 3)}
	inbox.msgs[1].flags = `\Seen \Recent $Label1`
	f := newFakeServer(t, inbox, &fakeBox{name: "Papierkorb", attrs: `\Trash`, uv: 9, next: 1})
	f.condstore = true
	c, err := Dial(context.Background(), f.opts())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout()
	boxes, warns, err := c.List()
	if err != nil || len(warns) != 0 {
		t.Fatalf("List: %v %v", err, warns)
	}
	if len(boxes) != 2 || !boxes[0].Subscribed || boxes[1].Subscribed || boxes[1].SpecialUse != store.SpecialTrash || boxes[0].Delim != "." {
		t.Fatalf("List: %+v", boxes)
	}
	st, err := c.Examine(boxes[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	if st.UIDValidity != 8 || st.UIDNext != 30 || st.Exists != 3 || st.HighestModSeq != 900 {
		t.Errorf("Examine: %+v", st)
	}
	ms, err := c.FetchMeta(st.Exists)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 || ms[1].UID != 4 || ms[1].ModSeq != 40 || ms[1].Size != int64(len(inbox.msgs[1].body)) ||
		strings.Join(ms[1].Flags, " ") != `\Seen \Recent $Label1` || ms[1].InternalDate.IsZero() {
		t.Errorf("FetchMeta: %+v", ms)
	}
	checkStandard(t, f)
}

// A CONDSTORE source's MODSEQs and HIGHESTMODSEQ are kept (RFC 7162), so
// that a CONDSTORE client's cached HIGHESTMODSEQ stays valid after the move.
func TestImportKeepsModSeq(t *testing.T) {
	inbox := &fakeBox{name: "INBOX", uv: 9, next: 10, msgs: msgs(1, 3)}
	f := newFakeServer(t, inbox)
	f.condstore = true
	st, acc := newStore(t)
	if rep := runImport(t, st, acc, f.opts(), importer.Options{}); !rep.OK() {
		t.Fatalf("report not OK: %s", warnings(rep))
	}
	mb, ms, _ := stored(t, st, acc, "INBOX")
	if mb.HighestModSeq < 900 {
		t.Errorf("HIGHESTMODSEQ %d, want at least the source's 900", mb.HighestModSeq)
	}
	for _, m := range ms {
		if m.ModSeq != 10*uint64(m.UID) {
			t.Errorf("UID %d: MODSEQ %d, want the source's %d", m.UID, m.ModSeq, 10*m.UID)
		}
	}
	checkStandard(t, f)
}
