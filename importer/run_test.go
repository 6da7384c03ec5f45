package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/importer/internal/importtest"
	"github.com/ferrymail/ferrymail/importer/uidl"
	"github.com/ferrymail/ferrymail/store"
)

// fakeSource is a source held in memory.
type fakeSource struct {
	boxes []Mailbox
	msgs  map[string][]*Message
	opens int // bodies opened
}

func (f *fakeSource) Mailboxes(context.Context) ([]Mailbox, error) {
	return append([]Mailbox(nil), f.boxes...), nil
}

func (f *fakeSource) Messages(_ context.Context, mb *Mailbox) (MessageIter, error) {
	return &fakeIter{f: f, msgs: f.msgs[mb.Name]}, nil
}

type fakeIter struct {
	f    *fakeSource
	msgs []*Message
	i    int
}

func (it *fakeIter) Next() (*Message, error) {
	if it.i >= len(it.msgs) {
		return nil, io.EOF
	}
	m := *it.msgs[it.i]
	it.i++
	if m.Where == "bad" {
		return nil, &MessageError{Where: "bad:7", Err: errors.New("truncated")}
	}
	return &m, nil
}

func (it *fakeIter) Close() error { return nil }

func fakeMsg(f *fakeSource, uid store.UID, key string, flags ...string) *Message {
	body := fmt.Sprintf("Subject: %s\n\nbody of %s\n", key, key)
	return &Message{UID: uid, SourceKey: key, Flags: flags, Where: key,
		InternalDate: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		Open: func() (io.ReadCloser, error) {
			f.opens++
			return io.NopCloser(strings.NewReader(body)), nil
		}}
}

func newStore(t *testing.T) (*store.Store, store.Account) { return importtest.NewStore(t) }

type got struct {
	UID   store.UID
	UIDL  string
	Flags string
}

func listing(t *testing.T, st *store.Store, acc store.Account, name string) (store.Mailbox, []got) {
	t.Helper()
	ctx := context.Background()
	mb, err := st.Mailbox(ctx, acc.ID, name)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.Messages(ctx, acc.ID, mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []got
	for _, m := range msgs {
		out = append(out, got{m.UID, m.UIDL, strings.Join(m.Flags, " ")})
	}
	return mb, out
}

// TestRunKeepsIdentifiers: UIDVALIDITY, UIDs, UIDNEXT and source UIDLs
// are kept; messages without UIDs get UIDs above the source's UIDNEXT;
// a scheme fills in missing UIDLs; a bad message costs only itself.
func TestRunKeepsIdentifiers(t *testing.T) {
	ctx := context.Background()
	st, acc := newStore(t)
	src := &fakeSource{boxes: []Mailbox{{Name: "INBOX", SourceName: "src", UIDValidity: 1275660208, UIDNext: 25022}}}
	m1 := fakeMsg(src, 25006, "a", `\Seen`)
	m2 := fakeMsg(src, 25017, "b", `\Flagged`, "$Junk", `\Recent`)
	m2.UIDL, m2.UIDLFrom = "UID1283-1276529134", "test"
	m3 := fakeMsg(src, 0, "c")
	src.msgs = map[string][]*Message{"INBOX": {m1, m2, {Where: "bad"}, m3}}
	sc, _ := uidl.Parse("uw")
	rep, err := Run(ctx, st, acc.ID, src, Options{UIDLScheme: sc, BatchCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	mb, msgs := listing(t, st, acc, "INBOX")
	if mb.UIDValidity != 1275660208 || mb.UIDNext != 25023 {
		t.Errorf("UIDVALIDITY %d UIDNEXT %d, want 1275660208 25023", mb.UIDValidity, mb.UIDNext)
	}
	want := []got{
		{25006, "4c0907b0000061ae", `\Seen`},
		{25017, "UID1283-1276529134", `\Flagged $Junk`},
		{25022, "4c0907b0000061be", ""},
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("got  %+v\nwant %+v", msgs, want)
	}
	r := rep.Mailboxes[0]
	if r.Imported != 3 || r.UIDsAssigned != 1 || r.UIDLsFromSource != 1 || r.UIDLsFromScheme != 2 ||
		len(r.Failures) != 1 || r.Failures[0].Where != "bad:7" || rep.OK() {
		t.Errorf("report: %+v", r)
	}
}

// TestRunRerun: a second run opens no bodies and imports nothing; flag
// changes at the source are brought across; a new message keeps its UID.
func TestRunRerun(t *testing.T) {
	ctx := context.Background()
	st, acc := newStore(t)
	src := &fakeSource{boxes: []Mailbox{{Name: "Work/2024", UIDValidity: 77, UIDNext: 10}}}
	src.msgs = map[string][]*Message{"Work/2024": {fakeMsg(src, 3, "a", `\Seen`), fakeMsg(src, 5, "b")}}
	if _, err := Run(ctx, st, acc.ID, src, Options{}); err != nil {
		t.Fatal(err)
	}
	src.opens = 0
	src.msgs["Work/2024"] = []*Message{fakeMsg(src, 3, "a"), fakeMsg(src, 5, "b", `\Answered`, "Todo"), fakeMsg(src, 9, "c")}
	rep, err := Run(ctx, st, acc.ID, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if src.opens != 1 {
		t.Errorf("second run opened %d bodies, want 1 (the new message)", src.opens)
	}
	r := rep.Mailboxes[0]
	if r.Imported != 1 || r.Skipped != 2 || r.FlagsUpdated != 2 || !rep.OK() {
		t.Errorf("report: %+v", r)
	}
	_, msgs := listing(t, st, acc, "Work/2024")
	want := []got{{3, "0000000300000077"[:0] + "000000030000004d", ""}, {5, "000000050000004d", `\Answered Todo`}, {9, "000000090000004d", ""}}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("got  %+v\nwant %+v", msgs, want)
	}
	// A dry run writes nothing.
	src.msgs["Work/2024"] = append(src.msgs["Work/2024"], fakeMsg(src, 11, "d"))
	rep, _ = Run(ctx, st, acc.ID, src, Options{DryRun: true})
	if _, msgs := listing(t, st, acc, "Work/2024"); len(msgs) != 3 || rep.Mailboxes[0].Imported != 1 {
		t.Errorf("dry run: %d messages stored, report %+v", len(msgs), rep.Mailboxes[0])
	}
}

// TestRunConflict: a target with UIDs under another UIDVALIDITY stops the
// mailbox with a clear error; --renumber imports with new UIDs and keeps
// the UIDLs; a re-run with --renumber imports nothing twice.
func TestRunConflict(t *testing.T) {
	ctx := context.Background()
	st, acc := newStore(t)
	inbox, _ := st.Mailbox(ctx, acc.ID, "INBOX")
	if _, err := st.Append(ctx, acc.ID, inbox.ID, strings.NewReader("Subject: native\r\n\r\n"), store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{boxes: []Mailbox{{Name: "INBOX", SourceName: "old", UIDValidity: 5, UIDNext: 3}}}
	m := fakeMsg(src, 1, "a")
	m.UIDL = "legacy-1"
	src.msgs = map[string][]*Message{"INBOX": {m, fakeMsg(src, 2, "b")}}
	rep, err := Run(ctx, st, acc.ID, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e := rep.Mailboxes[0].Err; !errors.Is(e, store.ErrUIDValidityConflict) || !strings.Contains(e.Error(), "--renumber") || rep.OK() {
		t.Errorf("got %v, want a UIDVALIDITY conflict naming --renumber", e)
	}
	if _, msgs := listing(t, st, acc, "INBOX"); len(msgs) != 1 {
		t.Errorf("conflict imported something: %+v", msgs)
	}
	for run := 0; run < 2; run++ {
		rep, err = Run(ctx, st, acc.ID, src, Options{Renumber: true})
		if err != nil || !rep.OK() {
			t.Fatalf("renumber: %v %+v", err, rep.Mailboxes[0])
		}
	}
	mb, msgs := listing(t, st, acc, "INBOX")
	if mb.UIDValidity != inbox.UIDValidity || len(msgs) != 3 || msgs[1].UID != 2 || msgs[1].UIDL != "legacy-1" || msgs[2].UID != 3 {
		t.Errorf("renumbered: %+v %+v", mb, msgs)
	}
}

// A source UID already held by another message stops the mailbox.
func TestRunUIDCollision(t *testing.T) {
	ctx := context.Background()
	st, acc := newStore(t)
	src := &fakeSource{boxes: []Mailbox{{Name: "INBOX", UIDValidity: 5, UIDNext: 3}}}
	src.msgs = map[string][]*Message{"INBOX": {fakeMsg(src, 1, "a")}}
	Run(ctx, st, acc.ID, src, Options{})
	src.msgs["INBOX"] = []*Message{fakeMsg(src, 1, "other")}
	rep, _ := Run(ctx, st, acc.ID, src, Options{})
	if e := rep.Mailboxes[0].Err; !errors.Is(e, store.ErrUIDReuse) || !strings.Contains(e.Error(), "--renumber") {
		t.Errorf("got %v, want ErrUIDReuse naming --renumber", e)
	}
	// --renumber: a new UIDVALIDITY, the colliding message a new UID, the
	// earlier message where it was.
	rep, err := Run(ctx, st, acc.ID, src, Options{Renumber: true})
	if err != nil || !rep.OK() {
		t.Fatalf("%v %+v", err, rep.Mailboxes[0])
	}
	mb, msgs := listing(t, st, acc, "INBOX")
	if mb.UIDValidity <= 5 || len(msgs) != 2 || msgs[0].UID != 1 || msgs[1].UID != 3 || !rep.Mailboxes[0].Renumbered {
		t.Errorf("after --renumber: %+v %+v", mb, msgs)
	}
}

// UIDLs that are invalid or already taken fall back, with a warning.
func TestRunUIDLFallback(t *testing.T) {
	ctx := context.Background()
	st, acc := newStore(t)
	src := &fakeSource{boxes: []Mailbox{{Name: "A", UIDValidity: 5, UIDNext: 9}, {Name: "B", UIDValidity: 6, UIDNext: 9}}}
	a, b, c := fakeMsg(src, 1, "a"), fakeMsg(src, 1, "b"), fakeMsg(src, 2, "c")
	a.UIDL, b.UIDL, c.UIDL = "same", "same", "has space"
	src.msgs = map[string][]*Message{"A": {a}, "B": {b, c}}
	rep, err := Run(ctx, st, acc.ID, src, Options{})
	if err != nil || !rep.OK() {
		t.Fatalf("%v %+v", err, rep.Mailboxes)
	}
	if _, msgs := listing(t, st, acc, "B"); msgs[0].UIDL != "0000000100000006" || msgs[1].UIDL != "0000000200000006" {
		t.Errorf("got %+v", msgs)
	}
	if w := rep.Mailboxes[1].Warnings; len(w) != 2 {
		t.Errorf("warnings %q, want 2", w)
	}
}

func TestParseSubscriptions(t *testing.T) {
	tests := []struct {
		text, seps string
		want       []string
	}{
		{"V\t2\n\nWork\t2024\nINBOX\nEntw&APw-rfe\n", "./", []string{"Entwürfe", "INBOX", "Work/2024"}}, // Dovecot v2
		{"Work.2024\ninbox\n", "./", []string{"INBOX", "Work/2024"}},                                    // Dovecot v1, Maildir++
		{"INBOX.Sent\nINBOX.Archive.2023\n", "./", []string{"Archive/2023", "Sent"}},                    // Courier
		{"lists/golang\n", "/", []string{"lists/golang"}},                                               // UW .mailboxlist
		{"V\t2\n\na\x01tb\n", "/", []string{"a\tb"}},                                                    // tab-escaped
	}
	for _, tt := range tests {
		got := ParseSubscriptions(tt.text, tt.seps)
		var names []string
		for n := range got {
			names = append(names, n)
		}
		slices.Sort(names)
		if !reflect.DeepEqual(names, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.text, names, tt.want)
		}
	}
}

// TestRunExpungeMissingNeedsKeys: --expunge-missing with a source that
// cannot name the messages it gave before is refused before anything is
// read.
func TestRunExpungeMissingNeedsKeys(t *testing.T) {
	st, acc := newStore(t)
	f := &fakeSource{boxes: []Mailbox{{Name: "INBOX", SourceName: "src"}}}
	if _, err := Run(context.Background(), st, acc.ID, f, Options{ExpungeMissing: true}); err == nil {
		t.Error("Run accepted ExpungeMissing for a source that is no StoredKeyer")
	}
}
