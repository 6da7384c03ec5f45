package imap

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ferrymail/ferrymail/store"
)

// TestState sends every command in every state (CONVENTIONS §3) and checks
// the answer: commands of another state get BAD, write commands on an
// EXAMINEd mailbox get NO [READ-ONLY], the others succeed.
func TestState(t *testing.T) {
	e := newTestEnv(t)
	e.deliver("INBOX", simpleMsg)
	plain := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00secret"))
	const (
		none = 1 << iota
		auth
		sel
		ro
		any     = none | auth | sel | ro
		authed  = auth | sel | ro
		inMbox  = sel | ro
		writeRW = sel
	)
	cmds := []struct {
		cmd   string
		ok    int // states where it succeeds
		nobad int // states where it fails with NO (not BAD)
	}{
		{"CAPABILITY", any, 0},
		{"NOOP", any, 0},
		{"CHECK", any, 0},
		{"LOGIN alice secret", none, 0},
		{"AUTHENTICATE PLAIN " + plain, none, 0},
		{"STARTTLS", 0, any}, // no TLS configured: NO
		{"ENABLE IMAP4rev2", authed, 0},
		{"SELECT INBOX", authed, 0},
		{"EXAMINE INBOX", authed, 0},
		{"CREATE NewBox{s}", authed, 0},
		{"DELETE Del{s}", authed, 0},
		{"RENAME Ren{s} Renamed{s}", authed, 0},
		{"SUBSCRIBE INBOX", authed, 0},
		{"UNSUBSCRIBE INBOX", authed, 0},
		{`LIST "" "*"`, authed, 0},
		{`LSUB "" "*"`, authed, 0},
		{"NAMESPACE", authed, 0},
		{"STATUS INBOX (MESSAGES UIDNEXT)", authed, 0},
		{"APPEND INBOX {3+}\r\nabc", authed, 0},
		{"UNAUTHENTICATE", authed, 0},
		{"CLOSE", inMbox, 0},
		{"UNSELECT", inMbox, 0},
		{"EXPUNGE", writeRW, ro},
		{"UID EXPUNGE 1", writeRW, ro},
		{"SEARCH ALL", inMbox, 0},
		{"UID SEARCH ALL", inMbox, 0},
		{"FETCH 1 (FLAGS)", inMbox, 0},
		{"UID FETCH 1 (FLAGS)", inMbox, 0},
		{`STORE 1 +FLAGS (\Flagged)`, writeRW, ro},
		{`UID STORE 1 +FLAGS (\Flagged)`, writeRW, ro},
		{"COPY 1 Trash", inMbox, 0},
		{"UID COPY 1 Trash", inMbox, 0},
		{"MOVE 1 Trash", writeRW, ro},
		{"UID MOVE 1 Trash", writeRW, ro},
		{"LOGOUT", any, 0},
	}
	states := []struct {
		bit  int
		name string
		prep []string
	}{
		{none, "not authenticated", nil},
		{auth, "authenticated", nil},
		{sel, "selected", []string{"SELECT INBOX"}},
		{ro, "selected read-only", []string{"EXAMINE INBOX"}},
	}
	for _, st := range states {
		for _, name := range []string{"Del", "Ren"} {
			if _, err := e.store.CreateMailbox(context.Background(), e.acct.ID, fmt.Sprint(name, st.bit), store.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Connections in the other states start PREAUTH: LOGIN hashes a
	// password, slow under -race, and is tested in the first state.
	pre := e.preauth()
	var wg sync.WaitGroup
	for _, st := range states {
		for _, c := range cmds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				env := pre
				if st.bit == none {
					env = e
				}
				r := env.raw()
				for _, p := range st.prep {
					r.mustOK("%s", p)
				}
				_, tagged := r.cmd("%s", strings.ReplaceAll(c.cmd, "{s}", fmt.Sprint(st.bit)))
				fields := strings.Fields(tagged)
				status := ""
				if len(fields) > 1 {
					status = fields[1]
				}
				switch {
				case c.ok&st.bit != 0:
					if status != "OK" {
						t.Errorf("%s in %s state: %q, want OK", c.cmd, st.name, tagged)
					}
				case c.nobad&st.bit != 0:
					if status != "NO" || st.bit == ro && c.ok&sel != 0 && !strings.Contains(tagged, "[READ-ONLY]") {
						t.Errorf("%s in %s state: %q, want NO ([READ-ONLY] when read-only)", c.cmd, st.name, tagged)
					}
				default:
					if status != "BAD" {
						t.Errorf("%s in %s state: %q, want BAD", c.cmd, st.name, tagged)
					}
				}
			}()
		}
	}
	wg.Wait()
}
