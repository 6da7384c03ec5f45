package tests

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/ferrymail/ferrymail/store"
)

// Bounds of TestSIGTERMUnderLoad. None is a measurement: they stop a hung
// test, and the loops stop on their own when the server goes away.
const (
	sigtermAppenders   = 3   // Python imaplib processes APPENDing in a loop
	sigtermLMTPSenders = 2   // go-smtp LMTP clients delivering to two users
	sigtermMaxIter     = 400 // per loop
	// sigtermLMTPPause paces the LMTP loops, which would otherwise run
	// through their iterations before the imaplib loops have logged in:
	// the signal must find them running. It shapes the load; nothing is
	// timed.
	sigtermLMTPPause    = 20 * time.Millisecond
	sigtermAcksBefore   = 3 // acknowledged writes per loop before the signal
	sigtermIOTimeout    = 60 * time.Second
	sigtermLoadDeadline = 60 * time.Second // for the acks before the signal
	// sigtermExitBound: the server's shutdown timeout (10 s, server.
	// DefaultShutdownTimeout) plus generous room for a loaded machine.
	sigtermExitBound = 40 * time.Second
)

const sigtermBob, sigtermBobPass = "bob", "bob secret"

// sigtermAppendScript: one imaplib client APPENDs messages to INBOX until
// the server goes away, printing a JSON line per acknowledged APPEND (UID,
// UIDVALIDITY from APPENDUID, RFC 4315, and the SHA-256 of the bytes sent)
// and one for the end: "bye" when imaplib saw the server's BYE, "reset",
// "eof" or "error: …" otherwise.
// argv: host port user password loop-id max.
const sigtermAppendScript = `
import hashlib, imaplib, json, re, sys
host, port, user, pw, lid, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
def out(**kw):
    print(json.dumps(kw), flush=True)
try:
    m = imaplib.IMAP4(host, port, timeout=60)
    m.login(user, pw)
except Exception as e:
    out(end="error: login: %r" % e); sys.exit(0)
pad = ("x" * 70 + "\r\n") * 40
for i in range(n):
    msg = ("Message-ID: <append-%s-%d@sigterm.test>\r\nSubject: load %s %d\r\n\r\n%s" % (lid, i, lid, i, pad)).encode()
    try:
        typ, data = m.append("INBOX", None, None, msg)
    except imaplib.IMAP4.abort as e:
        # imaplib raises the BYE as the abort's text when it waits for a
        # tagged response, but "socket error: EOF" when the BYE came while
        # it waited for a literal's continuation: look at what it received.
        bye = [b for b in m.untagged_responses.get("BYE", []) if b"shutting down" in b.lower()]
        out(end="bye" if bye or "shutting down" in str(e).lower() else "abort: %s" % e); sys.exit(0)
    except ConnectionResetError:
        out(end="reset"); sys.exit(0)
    except (EOFError, BrokenPipeError, OSError) as e:
        out(end="error: %r" % e); sys.exit(0)
    if typ != "OK":
        out(end="no: %r" % data); sys.exit(0)
    g = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
    out(uidvalidity=int(g.group(1)), uid=int(g.group(2)), sha256=hashlib.sha256(msg).hexdigest())
out(end="done")
`

// imapAck is one acknowledged APPEND.
type imapAck struct {
	UIDValidity uint32 `json:"uidvalidity"`
	UID         uint32 `json:"uid"`
	SHA256      string `json:"sha256"`
	End         string `json:"end"`
}

// lmtpAck is one recipient's 250 after DATA.
type lmtpAck struct {
	user, marker, body string
}

// TestSIGTERMUnderLoad: "ferrymail serve" gets SIGTERM while three imaplib
// clients APPEND, two go-smtp LMTP clients deliver, a poplib client logs in
// and out in a loop, an IMAP session IDLEs and a POP3 session waits. It
// must exit 0 within its shutdown timeout; the IDLE session gets "* BYE",
// the waiting POP3 session "-ERR", idle LMTP clients 421; and after the
// stop every acknowledged write — tagged OK with APPENDUID, LMTP 250 per
// recipient — is in the store (by UID and SHA-256 for APPEND, by
// Message-ID and body for LMTP), the store's consistency check is clean,
// badger left no memtable to replay (a clean close), and the server
// starts again.
func TestSIGTERMUnderLoad(t *testing.T) {
	t.Parallel()
	python := needTool(t, "python3")
	dir := t.TempDir()
	imapSeed(t, dir, "INBOX") // alice
	func() {
		st := mustOpenStore(t, dir)
		defer mustClose(t, st)
		if _, err := st.CreateAccount(context.Background(), sigtermBob, sigtermBobPass); err != nil {
			t.Fatal(err)
		}
	}()
	srv := startServe(t, dir, "--lmtp", "127.0.0.1:0")
	imapA, pop3A, lmtpA := imapAddr(t, srv), pop3Addr(t, srv), lmtpAddr(t, srv)
	ih, ip, _ := net.SplitHostPort(imapA)

	var (
		mu        sync.Mutex
		imapAcks  []imapAck
		imapEnds  []string
		lmtpAcks  []lmtpAck
		lmtpEnds  []string
		ackCounts = map[string]int{}
		wg        sync.WaitGroup
	)
	ack := func(loop string) {
		mu.Lock()
		ackCounts[loop]++
		mu.Unlock()
	}

	// The observers: an IMAP session in IDLE and a POP3 session waiting
	// for a command, each expecting the server's goodbye.
	idleGot := make(chan string, 1)
	idleReady := make(chan struct{})
	go func() { idleGot <- sigtermIdleSession(t, imapA, idleReady) }()
	popGot := make(chan string, 1)
	popReady := make(chan struct{})
	go func() { popGot <- sigtermWaitingPOP3(t, pop3A, popReady) }()

	// The APPEND loops.
	script := filepath.Join(t.TempDir(), "sigterm_append.py")
	if err := os.WriteFile(script, []byte(sigtermAppendScript), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range sigtermAppenders {
		loop := fmt.Sprint("append", i)
		cmd := exec.Command(python, script, ih, ip, imapUser, imapPass, loop, fmt.Sprint(sigtermMaxIter))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(stdout)
			end := "no end line"
			for sc.Scan() {
				var a imapAck
				if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
					end = "bad line: " + sc.Text()
					break
				}
				if a.End != "" {
					end = a.End
					break
				}
				mu.Lock()
				imapAcks = append(imapAcks, a)
				mu.Unlock()
				ack(loop)
			}
			io.Copy(io.Discard, stdout)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(sigtermIOTimeout):
				cmd.Process.Kill()
				<-done
			}
			if stderr.Len() > 0 {
				end += " (stderr: " + stderr.String() + ")"
			}
			mu.Lock()
			imapEnds = append(imapEnds, loop+": "+end)
			mu.Unlock()
		}()
	}

	// The LMTP loops: each message to alice and bob.
	for i := range sigtermLMTPSenders {
		loop := fmt.Sprint("lmtp", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			end := sigtermLMTPLoop(lmtpA, loop, func(a lmtpAck) {
				mu.Lock()
				lmtpAcks = append(lmtpAcks, a)
				mu.Unlock()
				ack(loop)
			})
			mu.Lock()
			lmtpEnds = append(lmtpEnds, loop+": "+end)
			mu.Unlock()
		}()
	}

	// A poplib client logging in and out (reads only: what it sees is not
	// checked, only that it ends).
	popLoopDone := make(chan string, 1)
	go func() {
		ph, pp, _ := net.SplitHostPort(pop3A)
		out, _ := runTool(t, nil, python, "-c", sigtermPOP3LoopScript, ph, pp, imapUser, imapPass, fmt.Sprint(sigtermMaxIter))
		popLoopDone <- strings.TrimSpace(out)
	}()

	// Wait for every loop to have some acknowledged writes and for the
	// observers to be in place, then signal: the loops are still running.
	for _, ch := range []chan struct{}{idleReady, popReady} {
		select {
		case <-ch:
		case <-time.After(sigtermLoadDeadline):
			t.Fatalf("an observer session did not get ready; server:\n%s", srv.stderr)
		}
	}
	deadline := time.Now().Add(sigtermLoadDeadline)
	for {
		mu.Lock()
		ready := len(ackCounts) == sigtermAppenders+sigtermLMTPSenders
		for _, n := range ackCounts {
			ready = ready && n >= sigtermAcksBefore
		}
		mu.Unlock()
		if ready {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("the load did not get going: acks %v, ends %v %v; server:\n%s", ackCounts, imapEnds, lmtpEnds, srv.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}

	signalled := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.exited:
	case <-time.After(sigtermExitBound):
		t.Fatalf("ferrymail serve did not exit within %v of SIGTERM; output:\n%s", sigtermExitBound, srv.stderr)
	}
	drained := time.Since(signalled) // a figure for the log, not asserted
	if code := srv.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("ferrymail serve exited %d after SIGTERM, want 0; output:\n%s", code, srv.stderr)
	}
	wg.Wait()
	popLoopEnd := <-popLoopDone

	// The goodbyes.
	if got := <-idleGot; !strings.HasPrefix(got, "* BYE") {
		t.Errorf("IMAP session in IDLE: got %q, want * BYE", got)
	}
	if got := <-popGot; !strings.HasPrefix(got, "-ERR") {
		t.Errorf("waiting POP3 session: got %q, want -ERR", got)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("exited %v after SIGTERM; acknowledged: %d APPENDs, %d LMTP recipients; APPEND loops ended %q; LMTP loops ended %q; POP3 loop ended %q",
		drained.Round(time.Millisecond), len(imapAcks), len(lmtpAcks), imapEnds, lmtpEnds, popLoopEnd)
	for _, e := range imapEnds {
		// A loop ends when the server says BYE: between two APPENDs, after
		// the OK of the one in progress. Not on a reset (the BYE is
		// followed by a lingering close, netutil.IdleConn), not on a
		// refused APPEND. "done" only if it ran out of iterations.
		if !strings.HasSuffix(e, ": bye") && !strings.HasSuffix(e, ": done") {
			t.Errorf("APPEND loop %s, want bye", e)
		}
	}
	for _, e := range lmtpEnds {
		if strings.Contains(e, "unexpected") {
			t.Errorf("LMTP loop %s", e)
		}
	}
	if strings.Contains(srv.stderr.String(), "level=ERROR") {
		t.Errorf("the server logged errors:\n%s", srv.stderr)
	}

	// A clean close leaves no memtable for badger to replay.
	mems, _ := filepath.Glob(filepath.Join(dir, "*.mem"))
	if len(mems) > 0 {
		t.Errorf("memtable files left after the stop (badger would replay them): %v", mems)
	}

	// Every acknowledged write is there.
	st := mustOpenStore(t, dir)
	sigtermCheckAppends(t, st, imapAcks)
	sigtermCheckDeliveries(t, st, lmtpAcks)
	mustClose(t, st) // CheckConsistency, then close

	// And the server starts again on the same data.
	again := startServe(t, dir)
	again.sigterm(t)
}

// sigtermCheckAppends: each acknowledged APPEND is in alice's INBOX under
// the UIDVALIDITY and UID that APPENDUID gave, with the bytes sent.
func sigtermCheckAppends(t *testing.T, st *store.Store, acks []imapAck) {
	t.Helper()
	ctx := context.Background()
	acc, err := st.Account(ctx, imapUser)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := st.Mailbox(ctx, acc.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acks {
		if uint32(mb.UIDValidity) != a.UIDValidity {
			t.Errorf("APPENDUID UIDVALIDITY %d, mailbox has %d", a.UIDValidity, mb.UIDValidity)
			continue
		}
		r, err := st.OpenMessage(ctx, acc.ID, mb.ID, store.UID(a.UID))
		if err != nil {
			t.Errorf("acknowledged UID %d: %v", a.UID, err)
			continue
		}
		h := sha256.New()
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			t.Errorf("reading UID %d: %v", a.UID, err)
		} else if got := hex.EncodeToString(h.Sum(nil)); got != a.SHA256 {
			t.Errorf("UID %d: stored SHA-256 %s, sent %s", a.UID, got, a.SHA256)
		}
	}
}

// sigtermCheckDeliveries: each recipient that got 250 has the message, by
// its Message-ID, in its INBOX, ending with the body sent.
func sigtermCheckDeliveries(t *testing.T, st *store.Store, acks []lmtpAck) {
	t.Helper()
	ctx := context.Background()
	stored := map[string][]string{} // user → message bytes
	for _, user := range []string{imapUser, sigtermBob} {
		acc, err := st.Account(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		mb, err := st.Mailbox(ctx, acc.ID, "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := st.Messages(ctx, acc.ID, mb.ID)
		if err != nil {
			t.Fatal(err)
		}
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
			if strings.Contains(string(b), "@sigterm-lmtp.test>") {
				stored[user] = append(stored[user], string(b))
			}
		}
	}
	for _, a := range acks {
		found := 0
		for _, m := range stored[a.user] {
			if strings.Contains(m, "Message-ID: "+a.marker+"\r\n") && strings.HasSuffix(m, a.body) {
				found++
			}
		}
		if found != 1 {
			t.Errorf("%s acknowledged for %s: found %d times, want 1", a.marker, a.user, found)
		}
	}
}

// sigtermLMTPLoop delivers messages to alice and bob over one LMTP
// connection (go-smtp's client) until the server goes away, calling ack
// for each recipient's 250. It returns how it ended.
func sigtermLMTPLoop(addr, loop string, ack func(lmtpAck)) string {
	nc, err := net.DialTimeout("tcp", addr, sigtermIOTimeout)
	if err != nil {
		return "unexpected dial error: " + err.Error()
	}
	nc.SetDeadline(time.Now().Add(sigtermLoadDeadline + sigtermExitBound))
	c := smtp.NewClientLMTP(nc)
	defer c.Close()
	if err := c.Hello("load.sigterm.test"); err != nil {
		return "unexpected LHLO error: " + err.Error()
	}
	rcpts := []string{imapUser + "@example.org", sigtermBob + "@example.org"}
	pad := strings.Repeat(strings.Repeat("y", 70)+"\r\n", 40)
	for i := range sigtermMaxIter {
		marker := fmt.Sprintf("<%s-%d@sigterm-lmtp.test>", loop, i)
		body := "Message-ID: " + marker + "\r\nSubject: lmtp load\r\n\r\n" + pad
		if err := c.Mail("load@sigterm.test", nil); err != nil {
			return goodbye(err)
		}
		for _, r := range rcpts {
			if err := c.Rcpt(r, nil); err != nil {
				return goodbye(err)
			}
		}
		w, err := c.Data()
		if err != nil {
			return goodbye(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			return goodbye(err)
		}
		resp, err := w.CloseWithLMTPResponse()
		for rcpt := range resp {
			ack(lmtpAck{user: strings.TrimSuffix(rcpt, "@example.org"), marker: marker, body: body})
		}
		if err != nil {
			return goodbye(err)
		}
		time.Sleep(sigtermLMTPPause)
	}
	return "done"
}

// goodbye classifies how an LMTP loop ended: a 421 is the server's
// goodbye; anything else is worth a look.
func goodbye(err error) string {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code == 421 {
		return "421 " + se.Message
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return "closed: " + err.Error()
	}
	return "unexpected: " + err.Error()
}

// sigtermIdleSession logs in as bob, selects INBOX and IDLEs (RFC 2177),
// closes ready, and returns the first line after the continuation that is
// not an untagged EXISTS/RECENT (bob gets LMTP deliveries meanwhile).
func sigtermIdleSession(t *testing.T, addr string, ready chan<- struct{}) string {
	nc, err := net.DialTimeout("tcp", addr, sigtermIOTimeout)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(sigtermLoadDeadline + sigtermExitBound))
	br := bufio.NewReader(nc)
	read := func() string {
		l, err := br.ReadString('\n')
		if err != nil {
			return "read error: " + err.Error()
		}
		return strings.TrimRight(l, "\r\n")
	}
	read() // greeting
	for _, c := range []string{`a LOGIN ` + sigtermBob + ` "` + sigtermBobPass + `"`, "b SELECT INBOX", "c IDLE"} {
		fmt.Fprintf(nc, "%s\r\n", c)
		tag := c[:1]
		for range 100 {
			l := read()
			if strings.HasPrefix(l, tag+" ") || strings.HasPrefix(l, "+") || strings.HasPrefix(l, "read error") {
				if !strings.HasPrefix(l, tag+" OK") && !strings.HasPrefix(l, "+") {
					close(ready)
					return "during " + c + ": " + l
				}
				break
			}
		}
	}
	close(ready)
	for range 10000 {
		l := read()
		if strings.HasSuffix(l, " EXISTS") || strings.HasSuffix(l, " RECENT") {
			continue
		}
		return l
	}
	return "no end"
}

// sigtermWaitingPOP3 logs in as bob over POP3, closes ready, and returns
// the next line the server sends unasked.
func sigtermWaitingPOP3(t *testing.T, addr string, ready chan<- struct{}) string {
	nc, err := net.DialTimeout("tcp", addr, sigtermIOTimeout)
	if err != nil {
		close(ready)
		return "dial: " + err.Error()
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(sigtermLoadDeadline + sigtermExitBound))
	br := bufio.NewReader(nc)
	br.ReadString('\n')
	fmt.Fprintf(nc, "USER %s\r\nPASS %s\r\n", sigtermBob, sigtermBobPass)
	br.ReadString('\n')
	if l, _ := br.ReadString('\n'); !strings.HasPrefix(l, "+OK") {
		close(ready)
		return "login: " + l
	}
	close(ready)
	l, err := br.ReadString('\n')
	if err != nil {
		return "read error: " + err.Error()
	}
	return strings.TrimRight(l, "\r\n")
}

// sigtermPOP3LoopScript: poplib logs in, lists UIDLs and quits, again and
// again, until the server refuses or goes away; it prints how it ended.
// argv: host port user password max.
const sigtermPOP3LoopScript = `
import poplib, sys
host, port, user, pw, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
for i in range(n):
    try:
        p = poplib.POP3(host, port, timeout=60)
        p.user(user); p.pass_(pw); p.stat(); p.uidl(); p.quit()
    except poplib.error_proto as e:
        print("sessions %d, then %s" % (i, e)); sys.exit(0)
    except OSError as e:
        print("sessions %d, then %r" % (i, e)); sys.exit(0)
print("done %d" % n)
`
