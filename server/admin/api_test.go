package admin

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/store"
)

// TestClientMatchesLocal runs the same administration through Local and
// through a Client on the socket, and requires the same results.
func TestClientMatchesLocal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	apis := map[string]func(t *testing.T) (API, *store.Store){
		"local": func(t *testing.T) (API, *store.Store) {
			st := openStore(t, shortTempDir(t))
			return NewLocal(st), st
		},
		"client": func(t *testing.T) (API, *store.Store) {
			dir := shortTempDir(t)
			st := openStore(t, dir)
			startServer(t, dir, st)
			return dial(t, dir), st
		},
	}
	results := map[string][]any{}
	for name, open := range apis {
		t.Run(name, func(t *testing.T) {
			api, st := open(t)
			var got []any
			u, err := api.AddUser(ctx, "Alice", "pw1")
			if err != nil {
				t.Fatalf("AddUser: %v", err)
			}
			if u.Name != "Alice" || time.Since(u.Created) > time.Minute {
				t.Errorf("AddUser = %+v", u)
			}
			if _, err := api.AddUser(ctx, "bob", "pw2"); err != nil {
				t.Fatalf("AddUser(bob): %v", err)
			}
			users, err := api.Users(ctx)
			if err != nil {
				t.Fatalf("Users: %v", err)
			}
			got = append(got, names(users))

			// A message appended behind the API's back shows up in it.
			acc, _ := st.Account(ctx, "alice")
			inbox, _ := st.Mailbox(ctx, acc.ID, "INBOX")
			date := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
			if _, err := st.Append(ctx, acc.ID, inbox.ID, strings.NewReader("Subject: hi\r\n\r\nbody\r\n"),
				store.AppendOptions{Flags: []string{`\Seen`, "$Label1"}, InternalDate: date}); err != nil {
				t.Fatalf("Append: %v", err)
			}
			boxes, err := api.Mailboxes(ctx, "ALICE")
			if err != nil {
				t.Fatalf("Mailboxes: %v", err)
			}
			for _, mb := range boxes {
				if mb.UIDValidity == 0 || mb.HighestModSeq == 0 || !mb.Subscribed {
					t.Errorf("mailbox %+v: want UIDVALIDITY, HIGHESTMODSEQ and subscribed", mb)
				}
				want := store.UID(1)
				if mb.Name == "INBOX" {
					want = 2
				}
				if mb.UIDNext != want {
					t.Errorf("%s: UIDNEXT %d, want %d", mb.Name, mb.UIDNext, want)
				}
				got = append(got, []any{mb.Name, mb.Messages, mb.SpecialUse})
			}
			msgs, err := api.Messages(ctx, "alice", "inbox")
			if err != nil {
				t.Fatalf("Messages: %v", err)
			}
			if len(msgs) != 1 {
				t.Fatalf("Messages: %d, want 1", len(msgs))
			}
			m := msgs[0]
			if m.UID != 1 || m.UIDL == "" || m.Size != 21 || !m.InternalDate.Equal(date) || m.ModSeq == 0 {
				t.Errorf("message %+v", m)
			}
			got = append(got, m.Flags)

			if err := api.SetPassword(ctx, "alice", "new"); err != nil {
				t.Fatalf("SetPassword: %v", err)
			}
			if _, err := st.Authenticate(ctx, "alice", "new"); err != nil {
				t.Errorf("Authenticate with the new password: %v", err)
			}
			if err := api.DeleteUser(ctx, "bob"); err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
			users, err = api.Users(ctx)
			if err != nil {
				t.Fatalf("Users: %v", err)
			}
			got = append(got, names(users))
			results[name] = got
		})
	}
	if !reflect.DeepEqual(results["local"], results["client"]) {
		t.Errorf("results differ:\nlocal:  %v\nclient: %v", results["local"], results["client"])
	}
	if want := []string{"Alice"}; !reflect.DeepEqual(results["local"][len(results["local"])-1], want) {
		t.Errorf("users after delete: %v, want %v", results["local"][len(results["local"])-1], want)
	}
}

func names(us []User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Name)
	}
	return out
}

// TestErrorsCrossTheSocket: a Client's errors wrap the same sentinels, with
// the same text, as Local's.
func TestErrorsCrossTheSocket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := shortTempDir(t)
	st := openStore(t, dir)
	startServer(t, dir, st)
	local, client := NewLocal(st), dial(t, dir)
	if _, err := local.AddUser(ctx, "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func(API) error
		want error
	}{
		{"duplicate user", func(a API) error { _, err := a.AddUser(ctx, "ALICE", "pw"); return err }, store.ErrAccountExists},
		{"bad user name", func(a API) error { _, err := a.AddUser(ctx, "a b", "pw"); return err }, store.ErrInvalidAccountName},
		{"empty password", func(a API) error { _, err := a.AddUser(ctx, "carol", ""); return err }, ErrEmptyPassword},
		{"empty new password", func(a API) error { return a.SetPassword(ctx, "alice", "") }, ErrEmptyPassword},
		{"passwd unknown", func(a API) error { return a.SetPassword(ctx, "nobody", "x") }, store.ErrAccountNotFound},
		{"delete unknown", func(a API) error { return a.DeleteUser(ctx, "nobody") }, store.ErrAccountNotFound},
		{"mailboxes unknown", func(a API) error { _, err := a.Mailboxes(ctx, "nobody"); return err }, store.ErrAccountNotFound},
		{"no mailbox", func(a API) error { _, err := a.Messages(ctx, "alice", "Nope"); return err }, store.ErrMailboxNotFound},
		{"bad mailbox", func(a API) error { _, err := a.Messages(ctx, "alice", "a//b"); return err }, store.ErrInvalidMailboxName},
	}
	for _, tt := range tests {
		lerr, cerr := tt.call(local), tt.call(client)
		if !errors.Is(lerr, tt.want) || !errors.Is(cerr, tt.want) {
			t.Errorf("%s: local %v, client %v; want both to wrap %v", tt.name, lerr, cerr, tt.want)
			continue
		}
		if lerr.Error() != cerr.Error() {
			t.Errorf("%s: local says %q, client %q", tt.name, lerr, cerr)
		}
	}
	// The connection is still usable after errors.
	if _, err := client.Users(ctx); err != nil {
		t.Errorf("Users after errors: %v", err)
	}
}
