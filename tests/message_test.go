package tests

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// TestMessageList seeds a data directory through the store package, then
// lists it with the binary.
func TestMessageList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st := mustOpenStore(t, dir)
	acc, err := st.CreateAccount(ctx, "alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := st.Mailbox(ctx, acc.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)
	bodies := []struct {
		body  string
		flags []string
	}{
		{"Subject: one\r\n\r\nfirst\r\n", []string{`\Seen`, `\Flagged`}},
		{"Subject: two\n\nsecond, with LF endings\n", nil},
		{"Subject: three\r\n\r\nthird\r\n", []string{"$Forwarded"}},
	}
	var want []store.Message
	for _, b := range bodies {
		res, err := st.Append(ctx, acc.ID, inbox.ID, strings.NewReader(b.body), store.AppendOptions{Flags: b.flags, InternalDate: date})
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		want = append(want, res.Message)
	}
	mustClose(t, st)

	out := mustSucceed(t, "", "message", "list", "--data", dir, "alice", "INBOX")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1+len(want) {
		t.Fatalf("message list: %d lines, want a header and %d messages:\n%s", len(lines), len(want), out)
	}
	if h := strings.Fields(lines[0]); strings.Join(h, " ") != "UID UIDL SIZE INTERNALDATE MODSEQ FLAGS" {
		t.Errorf("header %q", lines[0])
	}
	for i, m := range want {
		f := strings.Fields(lines[i+1])
		wantFields := []string{
			itoa(uint64(m.UID)), m.UIDL, itoa(uint64(m.Size)), "2023-04-05T06:07:08Z", itoa(m.ModSeq),
			"(" + strings.Join(m.Flags, " ") + ")",
		}
		if got := strings.Join(f, " "); got != strings.Join(wantFields, " ") {
			t.Errorf("message %d:\n got %s\nwant %s", i+1, got, strings.Join(wantFields, " "))
		}
	}
	if !strings.Contains(out, `(\Seen \Flagged)`) || !strings.Contains(out, "($Forwarded)") {
		t.Errorf("flags missing:\n%s", out)
	}

	// The mailbox list counts the messages and shows the new UIDNEXT.
	boxes := listedMailboxes(t, mustSucceed(t, "", "mailbox", "list", "--data", dir, "alice"))
	if f := boxes["INBOX"]; f[2] != "4" || f[3] != "3" {
		t.Errorf("INBOX: UIDNEXT %s, messages %s; want 4 and 3", f[2], f[3])
	}
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
