package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestMailboxNamesRefused(t *testing.T) {
	s := newTestStore(t)
	acc := newTestAccount(t, s, "alice")
	for _, tc := range []struct {
		name string
		why  string
	}{
		{"", "empty name"},
		{strings.Repeat("a", 1001), "at most 1000"},
		{strings.Repeat("a", 256), "at most 255"},
		{"bad\xffutf8", "not valid UTF-8"},
		{"a//b", "empty level"},
		{"/lead", "empty level"},
		{"trail/", "empty level"},
		{"wild*", "wildcard"},
		{"wild%", "wildcard"},
		{"ctl\x01", "control character"},
	} {
		before := dump(t, s)
		_, err := s.CreateMailbox(context.Background(), acc.ID, tc.name, CreateOptions{})
		if !errors.Is(err, ErrInvalidMailboxName) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("CreateMailbox(%q) = %v, want ErrInvalidMailboxName saying %q", tc.name, err, tc.why)
		}
		if dump(t, s) != before {
			t.Errorf("CreateMailbox(%q) was refused but changed the store", tc.name)
		}
	}
}

func TestCreateMailboxParentsAndInboxCase(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	if _, err := s.CreateMailbox(ctx, acc.ID, "Work/2024/Q1", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Work", "Work/2024", "Work/2024/Q1"} {
		mustMailbox(t, s, acc.ID, n)
	}
	if _, err := s.CreateMailbox(ctx, acc.ID, "inbox/Sub", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mustMailbox(t, s, acc.ID, "INBOX/Sub")
	if _, err := s.CreateMailbox(ctx, acc.ID, "Inbox", CreateOptions{}); !errors.Is(err, ErrMailboxExists) {
		t.Errorf("creating Inbox: got %v, want ErrMailboxExists", err)
	}
	if _, err := s.CreateMailbox(ctx, acc.ID, "Bad", CreateOptions{SpecialUse: `\Important`}); !errors.Is(err, ErrInvalidSpecialUse) {
		t.Errorf("unknown special-use: got %v", err)
	}
	mb, err := s.CreateMailbox(ctx, acc.ID, "Everything", CreateOptions{SpecialUse: SpecialAll})
	if err != nil || mb.SpecialUse != SpecialAll {
		t.Errorf("CREATE-SPECIAL-USE: %+v, %v", mb, err)
	}
}

func TestRenameKeepsIdentifiersAndMovesChildren(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	parent, err := s.CreateMailbox(ctx, acc.ID, "Projects", CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	child, err := s.CreateMailbox(ctx, acc.ID, "Projects/Ferry", CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, acc.ID, child.ID, "Subject: x\r\n\r\nbody\r\n", `\Seen`)
	child = mustMailbox(t, s, acc.ID, "Projects/Ferry")
	if err := s.RenameMailbox(ctx, acc.ID, "Projects", "Archive/Old/Projects"); err != nil {
		t.Fatal(err)
	}
	p := mustMailbox(t, s, acc.ID, "Archive/Old/Projects")
	c := mustMailbox(t, s, acc.ID, "Archive/Old/Projects/Ferry")
	if p.ID != parent.ID || p.UIDValidity != parent.UIDValidity {
		t.Errorf("renamed parent: got %+v, want ID and UIDVALIDITY of %+v", p, parent)
	}
	if c.ID != child.ID || c.UIDValidity != child.UIDValidity || c.UIDNext != child.UIDNext || c.Messages != 1 {
		t.Errorf("renamed child: got %+v, want identifiers of %+v", c, child)
	}
	if _, err := s.Mailbox(ctx, acc.ID, "Projects/Ferry"); !errors.Is(err, ErrMailboxNotFound) {
		t.Errorf("old child name still resolves: %v", err)
	}
	mustMailbox(t, s, acc.ID, "Archive/Old") // created as a parent
	for _, tc := range []struct {
		from, to string
		want     error
	}{
		{"INBOX", "Elsewhere", ErrInboxSpecial},
		{"Sent", "Drafts", ErrMailboxExists},
		{"Nope", "Other", ErrMailboxNotFound},
		{"Archive", "Archive/Inside", ErrInvalidMailboxName},
	} {
		before := dump(t, s)
		if err := s.RenameMailbox(ctx, acc.ID, tc.from, tc.to); !errors.Is(err, tc.want) {
			t.Errorf("Rename(%q, %q) = %v, want %v", tc.from, tc.to, err, tc.want)
		}
		if dump(t, s) != before {
			t.Errorf("Rename(%q, %q) was refused but changed the store", tc.from, tc.to)
		}
	}
}

func TestDeleteAndRecreateGetsLargerUIDValidity(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	first, err := s.CreateMailbox(ctx, acc.ID, "Tmp", CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		mustAppend(t, s, acc.ID, first.ID, "Subject: gone\r\n\r\nx\r\n")
	}
	prev := first.UIDValidity
	for round := 0; round < 3; round++ {
		if err := s.DeleteMailbox(ctx, acc.ID, "Tmp"); err != nil {
			t.Fatal(err)
		}
		again, err := s.CreateMailbox(ctx, acc.ID, "Tmp", CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if again.UIDValidity <= prev {
			t.Fatalf("re-created mailbox UIDVALIDITY %d, want > %d", again.UIDValidity, prev)
		}
		if again.Messages != 0 || again.UIDNext != 1 || again.ID == first.ID {
			t.Errorf("re-created mailbox %+v: want empty, UIDNEXT 1, a new ID", again)
		}
		prev = again.UIDValidity
	}
	if err := s.DeleteMailbox(ctx, acc.ID, "inbox"); !errors.Is(err, ErrInboxSpecial) {
		t.Errorf("delete INBOX: %v", err)
	}
	if _, err := s.CreateMailbox(ctx, acc.ID, "Tmp/Child", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMailbox(ctx, acc.ID, "Tmp"); !errors.Is(err, ErrHasChildren) {
		t.Errorf("delete with children: %v", err)
	}
}

func TestSubscribe(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc := newTestAccount(t, s, "alice")
	if _, err := s.CreateMailbox(ctx, acc.ID, "Lists", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if mustMailbox(t, s, acc.ID, "Lists").Subscribed {
		t.Fatal("new mailbox subscribed without asking")
	}
	if err := s.SetSubscribed(ctx, acc.ID, "Lists", true); err != nil {
		t.Fatal(err)
	}
	if !mustMailbox(t, s, acc.ID, "Lists").Subscribed {
		t.Error("SetSubscribed(true) did not stick")
	}
}

func TestOtherAccountsMailboxIsInvisible(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	alice := newTestAccount(t, s, "alice")
	mallory := newTestAccount(t, s, "mallory")
	inbox := mustMailbox(t, s, alice.ID, "INBOX")
	mustAppend(t, s, alice.ID, inbox.ID, "Subject: private\r\n\r\nx\r\n")
	if _, err := s.MailboxByID(ctx, mallory.ID, inbox.ID); !errors.Is(err, ErrMailboxNotFound) {
		t.Errorf("MailboxByID across accounts: %v", err)
	}
	if _, err := s.Messages(ctx, mallory.ID, inbox.ID); !errors.Is(err, ErrMailboxNotFound) {
		t.Errorf("Messages across accounts: %v", err)
	}
	if _, err := s.OpenMessage(ctx, mallory.ID, inbox.ID, 1); !errors.Is(err, ErrMailboxNotFound) {
		t.Errorf("OpenMessage across accounts: %v", err)
	}
	if _, err := s.Append(ctx, mallory.ID, inbox.ID, strings.NewReader("x"), AppendOptions{}); !errors.Is(err, ErrMailboxNotFound) {
		t.Errorf("Append across accounts: %v", err)
	}
	if _, err := s.Expunge(ctx, mallory.ID, inbox.ID, []UID{1}); !errors.Is(err, ErrMailboxNotFound) {
		t.Errorf("Expunge across accounts: %v", err)
	}
}
