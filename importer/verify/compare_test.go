package verify

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func mbox(name string, uidvalidity, uidnext uint32, msgs map[uint32]Message) *Mailbox {
	if msgs == nil {
		msgs = map[uint32]Message{}
	}
	return &Mailbox{Name: name, UIDValidity: uidvalidity, UIDNext: uidnext, Messages: msgs}
}

func snap(mbs ...*Mailbox) *Snapshot {
	s := &Snapshot{Mailboxes: map[string]*Mailbox{}}
	for _, m := range mbs {
		s.Mailboxes[m.Name] = m
	}
	return s
}

func base() map[uint32]Message {
	return map[uint32]Message{
		1: {Size: 100, Flags: []string{`\Seen`}},
		3: {Size: 300, Flags: []string{`\Answered`, `$Label1`}},
		7: {Size: 700},
	}
}

// TestCompare has a case for every kind of difference, and for what is
// deliberately not one.
func TestCompare(t *testing.T) {
	changed := func(f func(m map[uint32]Message)) map[uint32]Message {
		m := base()
		f(m)
		return m
	}
	pop := []POP3Entry{{"a", 10}, {"b", 20}, {"c", 30}}
	tests := []struct {
		name     string
		old, new *Snapshot
		want     []Kind
		notes    int
	}{
		{name: "identical", old: snap(mbox("INBOX", 5, 8, base())), new: snap(mbox("INBOX", 5, 8, base()))},
		{name: "flags differ only in case, order, repeats and \\Recent",
			old: snap(mbox("INBOX", 5, 8, base())),
			new: snap(mbox("INBOX", 5, 8, changed(func(m map[uint32]Message) {
				m[1] = Message{Size: 100, Flags: []string{`\SEEN`, `\Recent`, `\seen`}}
				m[3] = Message{Size: 300, Flags: []string{`$label1`, `\answered`}}
			})))},
		{name: "larger UIDNEXT is a note", old: snap(mbox("INBOX", 5, 8, base())), new: snap(mbox("INBOX", 5, 9, base())), notes: 1},
		{name: "missing mailbox", old: snap(mbox("INBOX", 5, 8, base()), mbox("Sent", 6, 1, nil)), new: snap(mbox("INBOX", 5, 8, base())),
			want: []Kind{MissingMailbox}},
		{name: "extra mailbox", old: snap(mbox("INBOX", 5, 8, base())), new: snap(mbox("INBOX", 5, 8, base()), mbox("Junk", 6, 2, map[uint32]Message{1: {Size: 5}})),
			want: []Kind{ExtraMailbox}},
		{name: "extra empty mailbox is a note", old: snap(mbox("INBOX", 5, 8, base())), new: snap(mbox("INBOX", 5, 8, base()), mbox("Junk", 6, 1, nil)),
			notes: 1},
		{name: "UIDVALIDITY hides the per-UID differences", old: snap(mbox("INBOX", 5, 8, base())), new: snap(mbox("INBOX", 6, 2, nil)),
			want: []Kind{UIDValidity}},
		{name: "smaller UIDNEXT", old: snap(mbox("INBOX", 5, 8, base())), new: snap(mbox("INBOX", 5, 7, changed(func(m map[uint32]Message) {}))),
			want: []Kind{UIDNextSmaller}},
		{name: "missing UID", old: snap(mbox("INBOX", 5, 8, base())), new: snap(mbox("INBOX", 5, 8, changed(func(m map[uint32]Message) { delete(m, 3) }))),
			want: []Kind{MissingUID}},
		{name: "extra UID", old: snap(mbox("INBOX", 5, 8, base())), new: snap(mbox("INBOX", 5, 8, changed(func(m map[uint32]Message) { m[5] = Message{Size: 1} }))),
			want: []Kind{ExtraUID}},
		{name: "size", old: snap(mbox("INBOX", 5, 8, base())), new: snap(mbox("INBOX", 5, 8, changed(func(m map[uint32]Message) { m[7] = Message{Size: 701} }))),
			want: []Kind{Size}},
		{name: "flag missing", old: snap(mbox("INBOX", 5, 8, base())), new: snap(mbox("INBOX", 5, 8, changed(func(m map[uint32]Message) { m[1] = Message{Size: 100} }))),
			want: []Kind{Flags}},
		{name: "keyword missing", old: snap(mbox("INBOX", 5, 8, base())),
			new:  snap(mbox("INBOX", 5, 8, changed(func(m map[uint32]Message) { m[3] = Message{Size: 300, Flags: []string{`\Answered`}} }))),
			want: []Kind{Flags}},
		{name: "size and flags of one UID", old: snap(mbox("INBOX", 5, 8, base())),
			new:  snap(mbox("INBOX", 5, 8, changed(func(m map[uint32]Message) { m[7] = Message{Size: 1, Flags: []string{`\Flagged`}} }))),
			want: []Kind{Size, Flags}},
		{name: "POP3 identical", old: &Snapshot{POP3: pop}, new: &Snapshot{POP3: []POP3Entry{{"a", 10}, {"b", 20}, {"c", 30}}}},
		{name: "POP3 both empty", old: &Snapshot{POP3: []POP3Entry{}}, new: &Snapshot{POP3: []POP3Entry{}}},
		{name: "POP3 missing UIDL", old: &Snapshot{POP3: pop}, new: &Snapshot{POP3: []POP3Entry{{"a", 10}, {"c", 30}}},
			want: []Kind{MissingUIDL}},
		{name: "POP3 extra UIDL", old: &Snapshot{POP3: pop}, new: &Snapshot{POP3: []POP3Entry{{"a", 10}, {"b", 20}, {"c", 30}, {"d", 1}}},
			want: []Kind{ExtraUIDL}},
		{name: "POP3 size", old: &Snapshot{POP3: pop}, new: &Snapshot{POP3: []POP3Entry{{"a", 10}, {"b", 21}, {"c", 30}}},
			want: []Kind{UIDLSize}},
		{name: "POP3 order", old: &Snapshot{POP3: pop}, new: &Snapshot{POP3: []POP3Entry{{"a", 10}, {"c", 30}, {"b", 20}}},
			want: []Kind{UIDLOrder}},
		{name: "POP3 UIDL case matters (RFC 1939 §7: UIDLs are compared as strings)", old: &Snapshot{POP3: pop},
			new:  &Snapshot{POP3: []POP3Entry{{"A", 10}, {"b", 20}, {"c", 30}}},
			want: []Kind{MissingUIDL, ExtraUIDL}},
		{name: "POP3 read on one side only", old: &Snapshot{POP3: pop}, new: &Snapshot{}, want: []Kind{ExtraUIDL}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.old.Mailboxes == nil {
				tt.old.Mailboxes = map[string]*Mailbox{}
			}
			if tt.new.Mailboxes == nil {
				tt.new.Mailboxes = map[string]*Mailbox{}
			}
			r := Compare(tt.old, tt.new)
			var got []Kind
			notes := 0
			for _, m := range r.Mailboxes {
				for _, d := range m.Differences {
					got = append(got, d.Kind)
				}
				notes += len(m.Notes)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("differences %v, want %v\n%s", got, tt.want, dump(r))
			}
			if r.Differences() != len(tt.want) {
				t.Errorf("Differences() = %d, want %d", r.Differences(), len(tt.want))
			}
			if notes != tt.notes {
				t.Errorf("%d notes, want %d\n%s", notes, tt.notes, dump(r))
			}
		})
	}
}

func dump(r *Result) string {
	var b bytes.Buffer
	r.Write(&b, 0)
	return b.String()
}

// TestWriteBounded: a mailbox with many differences prints maxLines of
// them, then how many more; the total line counts them all.
func TestWriteBounded(t *testing.T) {
	old := map[uint32]Message{}
	for uid := uint32(1); uid <= 50; uid++ {
		old[uid] = Message{Size: int64(uid)}
	}
	r := Compare(snap(mbox("INBOX", 1, 51, old), mbox("Sent", 2, 1, nil)), snap(mbox("INBOX", 1, 51, nil), mbox("Sent", 2, 1, nil)))
	var b bytes.Buffer
	if err := r.Write(&b, 5); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"INBOX: 50 differences (old: 50 messages, UIDVALIDITY 1, UIDNEXT 51; new: 0 messages, UIDVALIDITY 1, UIDNEXT 51)\n",
		"  missing UID: UID 1 (1 bytes) only on the old server\n",
		"  … and 45 more\n",
		"Sent: identical (0 messages, UIDVALIDITY 2, UIDNEXT 1)\n",
		"total: 2 compared, 1 identical, 1 with differences, 50 differences\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "missing UID:"); n != 5 {
		t.Errorf("%d difference lines, want 5:\n%s", n, out)
	}
}

func TestMailboxName(t *testing.T) {
	tests := []struct {
		name  string
		delim rune
		want  string
	}{
		{"INBOX", '/', "INBOX"},
		{"inbox", '.', "INBOX"},
		{"Inbox.Sub", '.', "INBOX/Sub"},
		{"Archive.2019", '.', "Archive/2019"},
		{"Archive/2019", '/', "Archive/2019"},
		{"Entwürfe", 0, "Entwürfe"},
		{"INBOXES", '/', "INBOXES"},
	}
	for _, tt := range tests {
		if got := mailboxName(tt.name, tt.delim); got != tt.want {
			t.Errorf("mailboxName(%q, %q) = %q, want %q", tt.name, tt.delim, got, tt.want)
		}
	}
}

func TestMatchAny(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		want     bool
	}{
		{"INBOX", nil, true},
		{"Archive/2019", []string{"Archive/*"}, true},
		{"Archive/2019/Q1", []string{"Archive/%"}, false},
		{"Archive/2019", []string{"Archive/%"}, true},
		{"Sent", []string{"INBOX", "Archive/*"}, false},
		{"Sent", []string{"INBOX", "S*"}, true},
	}
	for _, tt := range tests {
		if got := matchAny(tt.name, tt.patterns); got != tt.want {
			t.Errorf("matchAny(%q, %q) = %v, want %v", tt.name, tt.patterns, got, tt.want)
		}
	}
}
