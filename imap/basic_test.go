package imap

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func TestLoginSelectFetch(t *testing.T) {
	e := newTestEnv(t)
	e.deliver("INBOX", simpleMsg)
	e.deliver("INBOX", simpleMsg, `\Seen`, "$Label1")
	c := e.client(nil)

	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 2 || sel.UIDNext != 3 || sel.UIDValidity == 0 {
		t.Errorf("select: %+v", sel)
	}
	if !slices.Contains(sel.PermanentFlags, imap.FlagWildcard) {
		t.Errorf("PERMANENTFLAGS %v lacks \\*", sel.PermanentFlags)
	}
	if !slices.Contains(sel.Flags, "$Label1") {
		t.Errorf("FLAGS %v lacks $Label1 in its case", sel.Flags)
	}

	msgs, err := c.Fetch(imap.SeqSetNum(1, 2), &imap.FetchOptions{
		UID: true, Flags: true, RFC822Size: true, InternalDate: true, Envelope: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
		BodySection:   []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("got %d messages", len(msgs))
	}
	m := msgs[1]
	if m.UID != 2 || m.RFC822Size != int64(len(simpleMsg)) || !slices.Contains(m.Flags, "$Label1") {
		t.Errorf("message 2: uid %d size %d flags %v", m.UID, m.RFC822Size, m.Flags)
	}
	if got := string(m.FindBodySection(&imap.FetchItemBodySection{})); got != simpleMsg {
		t.Errorf("BODY[] = %q", got)
	}
	if m.Envelope == nil || m.Envelope.Subject != "hello" || len(m.Envelope.Sender) != 1 || m.Envelope.Sender[0].Host != "example.org" ||
		m.Envelope.MessageID != "1@example.org" {
		t.Errorf("envelope %+v", m.Envelope)
	}
	if bs, ok := m.BodyStructure.(*imap.BodyStructureSinglePart); !ok || bs.Type != "text" || bs.Size != 15 {
		t.Errorf("bodystructure %#v", m.BodyStructure)
	}

	// A non-PEEK BODY[] sets \Seen and reports it.
	msgs, err = c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierText}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
		t.Errorf("flags after BODY[TEXT]: %v", msgs[0].Flags)
	}
}

func TestLoginFailures(t *testing.T) {
	e := newTestEnv(t)
	c, err := imapclient.DialInsecure(e.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", "wrong").Wait(); err == nil {
		t.Fatal("wrong password accepted")
	}
	if err := c.Login("nobody", "secret").Wait(); err == nil {
		t.Fatal("unknown user accepted")
	}
	if err := c.Login("alice", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestStoreExpungeReadOnly(t *testing.T) {
	e := newTestEnv(t)
	for range 3 {
		e.deliver("INBOX", simpleMsg)
	}
	c := e.client(nil)
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	if err == nil || !strings.Contains(err.Error(), "READ-ONLY") && !strings.Contains(err.Error(), "read-only") {
		t.Errorf("STORE on EXAMINE: %v", err)
	}
	if _, err := c.Expunge().Collect(); err == nil {
		t.Errorf("EXPUNGE on EXAMINE succeeded")
	}
	// BODY[] on EXAMINE does not set \Seen.
	if _, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{}}}).Collect(); err != nil {
		t.Fatal(err)
	}
	if err := c.UnselectAndExpunge().Wait(); err != nil { // CLOSE on EXAMINE: OK, nothing expunged
		t.Fatalf("CLOSE on EXAMINE: %v", err)
	}
	if mb := e.mailbox("INBOX"); mb.Messages != 3 || mb.Unseen != 3 {
		t.Fatalf("after EXAMINE: %d messages %d unseen", mb.Messages, mb.Unseen)
	}

	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Store(imap.SeqSetNum(1, 3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted, "MyKeyWord"}}, nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || !slices.Contains(msgs[0].Flags, "MyKeyWord") {
		t.Fatalf("STORE answers %+v", msgs)
	}
	exp, err := c.Expunge().Collect()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(exp, []uint32{3, 1}) && !slices.Equal(exp, []uint32{1, 2}) {
		t.Errorf("EXPUNGE sent %v", exp)
	}
	if mb := e.mailbox("INBOX"); mb.Messages != 1 {
		t.Errorf("%d messages left", mb.Messages)
	}
}

func TestAppendCopyMove(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(nil)
	body := "Subject: appended\r\n\r\nbody\r\n"
	cmd := c.Append("INBOX", int64(len(body)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagFlagged}})
	if _, err := io.WriteString(cmd, body); err != nil {
		t.Fatal(err)
	}
	cmd.Close()
	ad, err := cmd.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if ad.UID != 1 || ad.UIDValidity != e.mailbox("INBOX").UIDValidity {
		t.Errorf("APPENDUID %+v", ad)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	cd, err := c.Copy(imap.SeqSetNum(1), "Archive").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if cd.UIDValidity != e.mailbox("Archive").UIDValidity || cd.DestUIDs.String() != "1" || cd.SourceUIDs.String() != "1" {
		t.Errorf("COPYUID %+v", cd)
	}
	if _, err := c.Copy(imap.SeqSetNum(1), "NoSuch").Wait(); err == nil || !strings.Contains(err.Error(), "TRYCREATE") {
		t.Errorf("COPY to a missing mailbox: %v", err)
	}
	md, err := c.Move(imap.SeqSetNum(1), "Trash").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if md.DestUIDs.String() != "1" {
		t.Errorf("MOVE COPYUID %+v", md)
	}
	if mb := e.mailbox("INBOX"); mb.Messages != 0 {
		t.Errorf("INBOX has %d after MOVE", mb.Messages)
	}
	if mb := e.mailbox("Trash"); mb.Messages != 1 {
		t.Errorf("Trash has %d after MOVE", mb.Messages)
	}
}

func TestListStatusCreate(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(nil)
	if err := c.Create("Work/Projects", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Receipts", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrFlagged}}).Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "*", &imap.ListOptions{ReturnStatus: &imap.StatusOptions{NumMessages: true, Size: true}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string][]imap.MailboxAttr{}
	for _, l := range list {
		attrs[l.Mailbox] = l.Attrs
		if l.Status == nil || l.Status.NumMessages == nil {
			t.Errorf("LIST-STATUS missing for %s", l.Mailbox)
		}
	}
	if !slices.Contains(attrs["Work"], imap.MailboxAttrHasChildren) || !slices.Contains(attrs["Work/Projects"], imap.MailboxAttrHasNoChildren) {
		t.Errorf("children attrs: %v", attrs)
	}
	if !slices.Contains(attrs["Sent"], imap.MailboxAttrSent) || !slices.Contains(attrs["Receipts"], imap.MailboxAttrFlagged) {
		t.Errorf("special-use attrs: %v", attrs)
	}
	list, err = c.List("", "%", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list {
		if strings.Contains(l.Mailbox, "/") {
			t.Errorf("%% matched %q", l.Mailbox)
		}
	}
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true, NumDeleted: true, Size: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if *st.NumMessages != 0 || st.UIDNext != 1 {
		t.Errorf("STATUS %+v", st)
	}
	if err := c.Rename("Work", "Job", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("Job/Projects").Wait(); err != nil {
		t.Fatal(err)
	}
	ns, err := c.Namespace().Wait()
	if err != nil || len(ns.Personal) != 1 || ns.Personal[0].Delim != '/' {
		t.Errorf("NAMESPACE %+v %v", ns, err)
	}
}

func TestSearch(t *testing.T) {
	e := newTestEnv(t)
	e.deliver("INBOX", simpleMsg)
	e.deliver("INBOX", "From: bob@example.org\r\nSubject: =?iso-8859-1?q?caf=E9?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nUn caf=E9 cr=E8me\r\n", `\Flagged`)
	e.deliver("INBOX", "Subject: b64\r\nContent-Transfer-Encoding: base64\r\n\r\naGlkZGVuIHRyZWFzdXJl\r\n")
	c := e.client(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		criteria imap.SearchCriteria
		want     []uint32
	}{
		{imap.SearchCriteria{}, []uint32{1, 2, 3}},
		{imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}}, []uint32{2}},
		{imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagFlagged}}, []uint32{1, 3}},
		{imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "CAFÉ"}}}, []uint32{2}},
		{imap.SearchCriteria{Body: []string{"crème"}}, []uint32{2}},
		{imap.SearchCriteria{Body: []string{"treasure"}}, []uint32{3}},
		{imap.SearchCriteria{Text: []string{"alice@example"}}, []uint32{1}},
		{imap.SearchCriteria{Larger: 100}, []uint32{1, 2}},
		{imap.SearchCriteria{Not: []imap.SearchCriteria{{Body: []string{"hello"}}}}, []uint32{2, 3}},
		{imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{{Flag: []imap.Flag{imap.FlagFlagged}}, {Body: []string{"treasure"}}}}}, []uint32{2, 3}},
		{imap.SearchCriteria{UID: []imap.UIDSet{{{Start: 2, Stop: 0}}}}, []uint32{2, 3}},
		{imap.SearchCriteria{SeqNum: []imap.SeqSet{{{Start: 0, Stop: 0}}}}, []uint32{3}},
	}
	for _, tc := range cases {
		got, err := c.Search(&tc.criteria, nil).Wait()
		if err != nil {
			t.Errorf("%+v: %v", tc.criteria, err)
			continue
		}
		if !slices.Equal(got.AllSeqNums(), tc.want) {
			t.Errorf("%+v: got %v, want %v", tc.criteria, got.AllSeqNums(), tc.want)
		}
	}
	// ESEARCH with SAVE, then "$".
	got, err := c.UIDSearch(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}}, &imap.SearchOptions{ReturnSave: true, ReturnCount: true, ReturnMin: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got.Count != 1 || got.Min != 2 {
		t.Errorf("ESEARCH %+v", got)
	}
}

// SEARCH and FETCH on what the view holds (flags, UIDs, sequence numbers,
// dates, sizes) open no message; header and body criteria do.
func TestSearchWithoutReadingMessages(t *testing.T) {
	e := newTestEnv(t)
	for range 20 {
		e.deliver("INBOX", simpleMsg)
	}
	r := e.preauth().raw()
	r.mustOK("SELECT INBOX")
	r.mustOK(`STORE 1:10 +FLAGS.SILENT (\Flagged $Work)`)
	pre := e.preauthReads()
	for _, q := range []string{
		"SEARCH FLAGGED", "SEARCH UNSEEN NOT DELETED KEYWORD $Work", "UID SEARCH UID 3:* LARGER 10 SMALLER 100000",
		"SEARCH SINCE 1-Jan-2000 BEFORE 1-Jan-2100", "SEARCH OR ANSWERED 5:7 NOT 1:3", "SEARCH RETURN (COUNT MIN MAX) ALL",
		"UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)",
	} {
		r.mustOK("%s", q)
	}
	if got := pre(); got != 0 {
		t.Errorf("%d messages opened for flag/date/size criteria", got)
	}
	r.mustOK("SEARCH BODY world")
	if pre() == 0 {
		t.Errorf("SEARCH BODY opened nothing")
	}
}
