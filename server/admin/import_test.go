package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/store"
)

// makeMaildir writes a Maildir of n small messages with a dovecot-uidlist
// (UIDVALIDITY 7000, UIDs 1…n) and returns its path.
func makeMaildir(t *testing.T, n int) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "Maildir")
	if err := os.MkdirAll(filepath.Join(root, "cur"), 0o755); err != nil {
		t.Fatal(err)
	}
	var uidlist strings.Builder
	fmt.Fprintf(&uidlist, "3 V7000 N%d\n", n+1)
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("%d.M%dP1.host", 1700000000+i, i)
		body := fmt.Sprintf("Subject: message %d\nMessage-ID: <%d@example>\n\nbody %d\n", i, i, i)
		if err := os.WriteFile(filepath.Join(root, "cur", name+":2,S"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&uidlist, "%d :%s\n", i, name)
	}
	if err := os.WriteFile(filepath.Join(root, "dovecot-uidlist"), []byte(uidlist.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// logBuffer collects a server's log lines for a test to wait on.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// waitFor waits until a log line contains every one of parts.
func (l *logBuffer) waitFor(t *testing.T, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		text := l.b.String()
		l.mu.Unlock()
		for line := range strings.SplitSeq(text, "\n") {
			found := true
			for _, p := range parts {
				found = found && strings.Contains(line, p)
			}
			if found {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q; log:\n%s", parts, text)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestImportStreams: the answer to "import" is progress lines, then the
// report; the connection then goes on. Local and Client report alike.
func TestImportStreams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const n = 450 // three batches of importer.DefaultBatchCount at most
	src := makeMaildir(t, n)
	dir := shortTempDir(t)
	st := openStore(t, dir)
	startServer(t, dir, st)
	local := NewLocal(st)
	if _, err := local.AddUser(ctx, "alice", "pw"); err != nil {
		t.Fatal(err)
	}

	// The wire: progress lines, then the final response.
	nc, err := net.Dial("unix", SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	req := `{"op":"import","import":{"format":"maildir","path":` + quote(src) + `,"user":"alice","uidl_scheme":"dovecot"}}`
	if _, err := nc.Write([]byte(req + "\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(nc)
	var progress []importer.Progress
	var final struct {
		Result *importer.Report `json:"result"`
		Error  *wireError       `json:"error"`
	}
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		var resp struct {
			Progress *importer.Progress `json:"progress"`
		}
		if err := json.Unmarshal(line, &resp); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if resp.Progress == nil {
			if err := json.Unmarshal(line, &final); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			break
		}
		progress = append(progress, *resp.Progress)
	}
	if final.Error != nil || final.Result == nil {
		t.Fatalf("final line: %+v", final)
	}
	if len(progress) < 3 {
		t.Errorf("%d progress lines, want one per batch and one at the end: %+v", len(progress), progress)
	}
	last := progress[len(progress)-1]
	if !last.Done || last.Mailbox != "INBOX" || last.Read != n || last.Imported != n {
		t.Errorf("last progress %+v, want INBOX done with %d read and imported", last, n)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Read < progress[i-1].Read {
			t.Errorf("progress goes back: %+v after %+v", progress[i], progress[i-1])
		}
	}
	if len(final.Result.Mailboxes) != 1 {
		t.Fatalf("report %+v", final.Result)
	}
	if got := final.Result.Mailboxes[0]; got.Imported != n || got.UIDValidity != 7000 || got.UIDLsFromScheme != n {
		t.Errorf("report %+v", got)
	}
	// The connection goes on after an import.
	if _, err := nc.Write([]byte(`{"op":"user.list"}` + "\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := r.ReadBytes('\n'); err != nil || !strings.Contains(string(line), `"alice"`) {
		t.Errorf("user.list after import: %q, %v", line, err)
	}

	// Client and Local: the same report and progress (a dry run, so that
	// both see the same store).
	c := dial(t, dir)
	var cprog, lprog []importer.Progress
	creq := ImportRequest{Format: FormatMaildir, Path: src, User: "alice", UIDLScheme: "dovecot", DryRun: true}
	crep, err := c.Import(ctx, creq, func(p importer.Progress) { cprog = append(cprog, p) })
	if err != nil {
		t.Fatalf("Client.Import: %v", err)
	}
	lrep, err := local.Import(ctx, creq, func(p importer.Progress) { lprog = append(lprog, p) })
	if err != nil {
		t.Fatalf("Local.Import: %v", err)
	}
	if len(cprog) == 0 || !reflect.DeepEqual(cprog, lprog) {
		t.Errorf("progress: client %+v, local %+v", cprog, lprog)
	}
	if !reflect.DeepEqual(crep, lrep) {
		t.Errorf("reports differ:\nclient %+v\nlocal  %+v", crep.Mailboxes[0], lrep.Mailboxes[0])
	}
	if got := crep.Mailboxes[0]; !crep.DryRun || got.Imported != 0 || got.Skipped != n {
		t.Errorf("dry run after the import: %+v", got)
	}
	// Errors cross the socket like the others.
	for _, bad := range []ImportRequest{
		{Format: FormatMaildir, Path: src, User: "nobody"},
		{Format: "zip", Path: src, User: "alice"},
		{Format: FormatMaildir, Path: "Maildir", User: "alice"},
		{Format: FormatMbox, Path: src, User: "alice", FromQuoting: "mboxq"},
	} {
		_, lerr := local.Import(ctx, bad, nil)
		_, cerr := c.Import(ctx, bad, nil)
		if lerr == nil || cerr == nil || lerr.Error() != cerr.Error() {
			t.Errorf("%+v: local %v, client %v", bad, lerr, cerr)
		}
		if bad.User == "nobody" && !errors.Is(cerr, store.ErrAccountNotFound) {
			t.Errorf("unknown user: %v, want store.ErrAccountNotFound", cerr)
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestImportCancel: closing the connection, or cancelling the Client's
// context, cancels the import in the server; a later import resumes it,
// with nothing lost or doubled.
func TestImportCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const n = 3000
	src := makeMaildir(t, n)
	for _, how := range []string{"close", "context"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			dir := shortTempDir(t)
			st := openStore(t, dir)
			logs := new(logBuffer)
			startServerLogging(t, dir, st, slog.New(slog.NewTextHandler(logs, nil)))
			if _, err := NewLocal(st).AddUser(ctx, "alice", "pw"); err != nil {
				t.Fatal(err)
			}
			req := ImportRequest{Format: FormatMaildir, Path: src, User: "alice"}
			c, err := Dial(ctx, SocketPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			_, err = c.Import(cctx, req, func(importer.Progress) {
				// After the first batch.
				if how == "close" {
					c.nc.Close()
				} else {
					cancel()
				}
			})
			if err == nil {
				t.Fatalf("Import succeeded after the first progress line")
			}
			if how == "context" && !errors.Is(err, context.Canceled) {
				t.Errorf("Import: %v, want context.Canceled", err)
			}
			logs.waitFor(t, "op=import", "outcome=error", "context canceled")
			acc, _ := st.Account(ctx, "alice")
			inbox, _ := st.Mailbox(ctx, acc.ID, "INBOX")
			msgs, err := st.Messages(ctx, acc.ID, inbox.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) == 0 || len(msgs) >= n {
				t.Errorf("%d messages after the cancelled import, want some of %d", len(msgs), n)
			}
			// The cancelled import resumes.
			rep, err := dial(t, dir).Import(ctx, req, nil)
			if err != nil {
				t.Fatalf("Import again: %v", err)
			}
			if m := rep.Mailboxes[0]; m.Imported+m.Skipped != n || m.Skipped != len(msgs) || !rep.OK() {
				t.Errorf("resumed import: %+v, want %d already there and the rest imported", m, len(msgs))
			}
			msgs, err = st.Messages(ctx, acc.ID, inbox.ID)
			if err != nil {
				t.Fatal(err)
			}
			var uids []store.UID
			for _, m := range msgs {
				uids = append(uids, m.UID)
			}
			want := make([]store.UID, n)
			for i := range want {
				want[i] = store.UID(i + 1)
			}
			if !reflect.DeepEqual(uids, want) {
				t.Errorf("after resuming: %d messages, want UIDs 1…%d", len(uids), n)
			}
		})
	}
}
