package tests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ferrymail/ferrymail/importer/mutf7"
	"github.com/ferrymail/ferrymail/store"
)

// TestImportFromDovecot puts mail into a real Dovecot through Dovecot itself
// (APPEND with flags, keywords and dates, expunges that leave UID gaps, a
// flag change, two more folders, subscriptions), records what Dovecot serves
// over IMAP and POP3, imports Dovecot's files with the built binary and
// requires the store to hold exactly that: UIDVALIDITY, UIDNEXT, UIDs,
// flags, INTERNALDATE, sizes, bytes, POP3 UIDLs and sizes, subscriptions.
// Then a cut-over delta: a re-run imports nothing; after a flag change and a
// new message at Dovecot, a re-run brings exactly those across.
//
// Comparing Ferrymail's own IMAP and POP3 answers with these is for the
// issues that build those servers; here the store is read directly.
func TestImportFromDovecot(t *testing.T) {
	needDovecot(t)
	t.Parallel()
	cases := []struct {
		name, location, extra, kind, path string
		args                              []string
	}{
		{name: "maildir", location: "maildir:~/Maildir", kind: "maildir", path: "Maildir"},
		{name: "mbox", location: "mbox:~/mail:INBOX=~/mail/inbox", kind: "mbox", path: "mail"},
		// Legacy UIDL schemes, rendered by the importer as Dovecot did.
		{name: "maildir-uw-uidls", location: "maildir:~/Maildir", extra: "pop3_uidl_format = %08Xv%08Xu",
			kind: "maildir", path: "Maildir", args: []string{"--uidl-scheme", "uw"}},
		{name: "mbox-md5-uidls", location: "mbox:~/mail:INBOX=~/mail/inbox", extra: "pop3_uidl_format = %m",
			kind: "mbox", path: "mail", args: []string{"--uidl-scheme", "md5"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := startDovecot(t, tc.location, tc.extra)
			d.client(t, "populate")
			want := d.dump(t)
			d.stop(t)

			data := filepath.Join(t.TempDir(), "data")
			mustSucceed(t, "pw\n", "user", "add", "--data", data, "alice")
			src := filepath.Join(d.home, "alice", tc.path)
			importArgs := append([]string{"import", tc.kind, "--data", data, "--to", "alice"}, tc.args...)
			importArgs = append(importArgs, src)
			r := ferrymail(t, "", importArgs...)
			if r.code != 0 {
				t.Fatalf("import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			for name, mb := range want.Mailboxes {
				if line := fmt.Sprintf("UIDVALIDITY %d kept", mb.UIDValidity); !strings.Contains(r.stdout, line) {
					t.Errorf("report lacks %q for %s:\n%s", line, name, r.stdout)
				}
			}
			compareWithDovecot(t, data, want)
			compareOverTheWire(t, data, want)

			r = ferrymail(t, "", importArgs...)
			if r.code != 0 || !strings.Contains(r.stdout, "total: 3 mailboxes, 0 messages imported") {
				t.Errorf("second run: exit %d, want nothing imported:\n%s\n%s", r.code, r.stdout, r.stderr)
			}

			d.start(t)
			d.client(t, "delta")
			want = d.dump(t)
			d.stop(t)
			r = ferrymail(t, "", importArgs...)
			if r.code != 0 || !strings.Contains(r.stdout, "total: 3 mailboxes, 1 messages imported") ||
				!strings.Contains(r.stdout, "2 with flags brought across") {
				t.Errorf("delta run: exit %d, want 1 message imported and 2 flag changes:\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			compareWithDovecot(t, data, want)
			compareOverTheWire(t, data, want)
		})
	}
}

// compareOverTheWire starts "ferrymail serve" on the data directory and
// requires its IMAP and POP3 servers to serve, to the same Python client,
// what Dovecot served: UIDVALIDITY, UIDNEXT, UIDs, flags, INTERNALDATE,
// RFC822.SIZE, BODY[], POP3 UIDL and LIST. (Ferrymail's extra default
// mailboxes are not compared.)
func compareOverTheWire(t *testing.T, dataDir string, want served) {
	t.Helper()
	p := startServe(t, dataDir)
	defer p.sigterm(t)
	port := func(addr string) int {
		_, ps, _ := strings.Cut(addr, "127.0.0.1:")
		n, _ := strconv.Atoi(ps)
		return n
	}
	got := parseServed(t, runMailClient(t, port(imapAddr(t, p)), port(pop3Addr(t, p)), "dump",
		func() string { return "ferrymail serve output:\n" + p.stderr.String() }))
	norm := func(s served) map[string]string {
		out := map[string]string{}
		for name, mb := range s.Mailboxes {
			parts := strings.Split(name, s.Separator)
			for i, p := range parts {
				if dec, err := mutf7.Decode(p); err == nil {
					parts[i] = dec
				}
			}
			for i := range mb.Messages {
				fl := append([]string(nil), mb.Messages[i].Flags...)
				for j := range fl {
					fl[j] = strings.ToLower(fl[j])
				}
				slices.Sort(fl)
				mb.Messages[i].Flags = fl
			}
			b, _ := json.Marshal(mb)
			out[strings.Join(parts, "/")] = string(b)
		}
		return out
	}
	w, g := norm(want), norm(got)
	for name, wmb := range w {
		if g[name] != wmb {
			t.Errorf("over the wire, mailbox %s:\nFerrymail served %s\nDovecot served   %s", name, g[name], wmb)
		}
	}
	if !slices.Equal(got.UIDL, want.UIDL) || !slices.Equal(got.List, want.List) {
		t.Errorf("over the wire, POP3:\nFerrymail UIDL %q LIST %v\nDovecot   UIDL %q LIST %v", got.UIDL, got.List, want.UIDL, want.List)
	}
}

// compareWithDovecot requires the store in dataDir to hold what Dovecot
// served.
func compareWithDovecot(t *testing.T, dataDir string, want served) {
	t.Helper()
	ctx := context.Background()
	st := mustOpenStore(t, dataDir)
	defer mustClose(t, st)
	acc, err := st.Account(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	storeName := func(name string) string {
		parts := strings.Split(name, want.Separator)
		for i, p := range parts {
			if dec, err := mutf7.Decode(p); err == nil {
				parts[i] = dec
			}
		}
		return strings.Join(parts, "/")
	}
	for name, wmb := range want.Mailboxes {
		mb, err := st.Mailbox(ctx, acc.ID, storeName(name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if mb.UIDValidity != wmb.UIDValidity || uint32(mb.UIDNext) != wmb.UIDNext {
			t.Errorf("%s: UIDVALIDITY %d UIDNEXT %d, Dovecot served %d %d", name, mb.UIDValidity, mb.UIDNext, wmb.UIDValidity, wmb.UIDNext)
		}
		msgs, err := st.Messages(ctx, acc.ID, mb.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != len(wmb.Messages) {
			t.Errorf("%s: %d messages, Dovecot served %d", name, len(msgs), len(wmb.Messages))
			continue
		}
		for i, w := range wmb.Messages {
			m := msgs[i]
			if uint32(m.UID) != w.UID {
				t.Errorf("%s #%d: UID %d, Dovecot served %d", name, i+1, m.UID, w.UID)
				continue
			}
			if !sameFlagSet(m.Flags, w.Flags) {
				t.Errorf("%s UID %d: flags %q, Dovecot served %q", name, w.UID, m.Flags, w.Flags)
			}
			if m.InternalDate.Unix() != w.InternalDate {
				t.Errorf("%s UID %d: INTERNALDATE %v, Dovecot served %d", name, w.UID, m.InternalDate, w.InternalDate)
			}
			if m.Size != w.Size {
				t.Errorf("%s UID %d: size %d, Dovecot served %d", name, w.UID, m.Size, w.Size)
			}
			rd, err := st.OpenMessage(ctx, acc.ID, mb.ID, m.UID)
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			io.Copy(h, rd)
			rd.Close()
			if got := hex.EncodeToString(h.Sum(nil)); got != w.SHA256 {
				t.Errorf("%s UID %d: bytes differ from Dovecot's BODY[]", name, w.UID)
			}
		}
		if storeName(name) == store.InboxName {
			if len(want.UIDL) != len(msgs) {
				t.Errorf("POP3: Dovecot listed %d messages, INBOX has %d", len(want.UIDL), len(msgs))
				continue
			}
			for i, m := range msgs {
				if m.UIDL != want.UIDL[i] || m.Size != want.List[i] {
					t.Errorf("POP3 message %d: UIDL %q size %d, Dovecot served %q %d", i+1, m.UIDL, m.Size, want.UIDL[i], want.List[i])
				}
			}
		}
	}
	for _, name := range want.Subscribed {
		mb, err := st.Mailbox(ctx, acc.ID, storeName(name))
		if err != nil || !mb.Subscribed {
			t.Errorf("%s: subscribed at Dovecot, not in the store (%v)", name, err)
		}
	}
}

func sameFlagSet(a, b []string) bool {
	norm := func(l []string) []string {
		out := make([]string, len(l))
		for i, f := range l {
			out[i] = strings.ToLower(f)
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(norm(a), norm(b))
}
