package imapsrc

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/importer/internal/importtest"
)

// fakeServer is a scripted IMAP server on 127.0.0.1:0 with the quirks of
// legacy servers switched on one by one. It answers the commands the
// source sends and records every line it receives.
type fakeServer struct {
	t     *testing.T
	l     *importtest.Listener
	boxes []*fakeBox
	delim string
	caps  string

	unknownResponses bool              // vendor untagged responses and FETCH items
	uidLast          bool              // FETCH items with UID after the body literal
	noBodyUID        bool              // body FETCH answers without UID (against RFC 9051 §6.4.9)
	sizeDelta        map[uint32]int    // RFC822.SIZE error per UID
	refuse           map[uint32]string // "NO"/"BAD" for a FETCH of BODY.PEEK[] that includes the UID
	refuseAll        map[uint32]bool   // … and for HEADER/TEXT too
	nilBody          map[uint32]bool   // BODY[] is NIL (HEADER and TEXT are fine)
	nilAlways        map[uint32]bool   // every body item is NIL
	noUIDCodes       bool              // EXAMINE without UIDVALIDITY and UIDNEXT
	// throttle is how many body fetches, from the next, are answered
	// NO [UNAVAILABLE]; drop how many drop the connection halfway through
	// the first body literal.
	throttle, drop int
	loginDisabled  bool        // LOGINDISABLED and AUTH=PLAIN
	condstore      bool        // CONDSTORE: HIGHESTMODSEQ and MODSEQ (RFC 7162)
	starttls       *tls.Config // offer STARTTLS with this configuration
	implicit       *tls.Config // TLS from the first byte

	mu     sync.Mutex
	lines  []string
	logins []string
}

type fakeBox struct {
	name       string // raw, as LIST sends it
	attrs      string
	uv, next   uint32
	subscribed bool
	msgs       []fakeMsg
}

type fakeMsg struct {
	uid   uint32
	flags string
	date  string
	body  string
}

func newFakeServer(t *testing.T, boxes ...*fakeBox) *fakeServer {
	f := &fakeServer{t: t, l: importtest.Listen(t), boxes: boxes, delim: ".", caps: "IMAP4rev1 LITERAL+",
		sizeDelta: map[uint32]int{}, refuse: map[uint32]string{}, refuseAll: map[uint32]bool{},
		nilBody: map[uint32]bool{}, nilAlways: map[uint32]bool{}}
	return f
}

// addr starts serving, on first use: the quirks are set by then.
func (f *fakeServer) addr() string {
	return f.l.Serve(f.implicit, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(time.Minute))
		f.serve(c)
	})
}

// received returns every command line received, literals inlined.
func (f *fakeServer) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lines...)
}

func (f *fakeServer) connections() int { return f.l.Conns() }

// readCommand reads one command line with its literals.
func readCommand(br *bufio.Reader, w *bufio.Writer) (string, error) {
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		n, ok := literalAtEnd(line)
		if !ok {
			b.WriteString(line)
			return b.String(), nil
		}
		b.WriteString(line[:strings.LastIndexByte(line, '{')])
		if !strings.HasSuffix(line, "+}") {
			io.WriteString(w, "+ go on\r\n")
			w.Flush()
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", err
		}
		b.WriteString(quote(string(buf)))
	}
}

// fields splits a command line at spaces outside quotes and parentheses.
func fields(line string) []string {
	var out []string
	var cur strings.Builder
	depth, inQ := 0, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case inQ && c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			continue
		case c == '"':
			inQ = !inQ
			continue
		case !inQ && c == '(':
			depth++
		case !inQ && c == ')':
			depth--
		case !inQ && depth == 0 && c == ' ':
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(out, cur.String())
}

func (f *fakeServer) serve(c net.Conn) {
	br := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	defer func() { w.Flush() }()
	fmt.Fprintf(w, "* OK fake IMAP ready\r\n")
	w.Flush()
	var sel *fakeBox
	for {
		line, err := readCommand(br, w)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.lines = append(f.lines, line)
		f.mu.Unlock()
		fl := fields(line)
		if len(fl) < 2 {
			fmt.Fprintf(w, "* BAD what\r\n")
			w.Flush()
			continue
		}
		tag, cmd, args := fl[0], strings.ToUpper(fl[1]), fl[2:]
		ok := func(text string) { fmt.Fprintf(w, "%s OK %s\r\n", tag, text) }
		switch cmd {
		case "STARTTLS":
			ok("begin TLS")
			w.Flush()
			tc := tls.Server(c, f.starttls)
			br, w = bufio.NewReader(tc), bufio.NewWriter(tc)
			continue
		case "CAPABILITY":
			caps := f.caps
			if f.starttls != nil {
				caps += " STARTTLS"
			}
			if f.condstore {
				caps += " CONDSTORE"
			}
			if f.loginDisabled {
				caps += " LOGINDISABLED AUTH=PLAIN"
			}
			fmt.Fprintf(w, "* CAPABILITY %s\r\n", caps)
			if f.unknownResponses {
				fmt.Fprintf(w, "* XAPPLEPUSHSERVICE aps-version 2 {5}\r\nhello ( \"\r\n")
			}
			ok("done")
		case "LOGIN":
			if f.loginDisabled {
				fmt.Fprintf(w, "%s NO LOGIN is disabled\r\n", tag)
				break
			}
			f.mu.Lock()
			f.logins = append(f.logins, args[0]+":"+args[1])
			f.mu.Unlock()
			if f.condstore {
				ok("logged in") // the client asks CAPABILITY again
				break
			}
			ok("[CAPABILITY " + f.caps + "] logged in")
		case "AUTHENTICATE":
			io.WriteString(w, "+ \r\n")
			w.Flush()
			resp, _ := br.ReadString('\n')
			f.mu.Lock()
			f.logins = append(f.logins, "PLAIN:"+strings.TrimSpace(resp))
			f.mu.Unlock()
			ok("authenticated")
		case "LIST", "LSUB":
			for _, b := range f.boxes {
				if cmd == "LSUB" && !b.subscribed {
					continue
				}
				name := b.name
				if strings.ContainsAny(name, "\r\n") {
					fmt.Fprintf(w, "* %s (%s) %q {%d}\r\n%s\r\n", cmd, b.attrs, f.delim, len(name), name)
				} else {
					fmt.Fprintf(w, "* %s (%s) %q %s\r\n", cmd, b.attrs, f.delim, quote(name))
				}
			}
			if f.unknownResponses {
				fmt.Fprintf(w, "* XLIST (\\Inbox) \".\" \"INBOX\"\r\n")
			}
			ok("listed")
		case "EXAMINE", "STATUS":
			var box *fakeBox
			for _, b := range f.boxes {
				if b.name == args[0] {
					box = b
				}
			}
			if box == nil {
				fmt.Fprintf(w, "%s NO no such mailbox\r\n", tag)
				break
			}
			if cmd == "STATUS" {
				fmt.Fprintf(w, "* STATUS %s (UIDNEXT %d UIDVALIDITY %d)\r\n", quote(box.name), box.next, box.uv)
				ok("status")
				break
			}
			sel = box
			fmt.Fprintf(w, "* %d EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n", len(sel.msgs))
			if !f.noUIDCodes {
				fmt.Fprintf(w, "* OK [UIDVALIDITY %d] ok\r\n* OK [UIDNEXT %d] ok\r\n", sel.uv, sel.next)
			}
			if f.unknownResponses {
				fmt.Fprintf(w, "* OK [X-VENDOR-THING (a b)] hi\r\n* XSTATE ready\r\n")
			}
			if f.condstore && strings.Contains(line, "(CONDSTORE)") {
				fmt.Fprintf(w, "* OK [HIGHESTMODSEQ 900] ok\r\n")
			}
			ok("[READ-ONLY] examined")
		case "UID":
			if sel == nil || len(args) < 3 || !strings.EqualFold(args[0], "FETCH") {
				fmt.Fprintf(w, "%s BAD no\r\n", tag)
				break
			}
			if !f.fetch(w, tag, sel, args[1], strings.ToUpper(args[2])) {
				return // dropped
			}
		case "LOGOUT":
			fmt.Fprintf(w, "* BYE bye\r\n")
			ok("logged out")
			return
		default:
			fmt.Fprintf(w, "%s BAD unknown command %s\r\n", tag, cmd)
		}
		w.Flush()
	}
}

// fetch answers UID FETCH; false when it dropped the connection.
func (f *fakeServer) fetch(w *bufio.Writer, tag string, box *fakeBox, set, items string) bool {
	body := strings.Contains(items, "BODY.PEEK[]")
	parts := strings.Contains(items, "BODY.PEEK[HEADER]")
	if body || parts {
		f.mu.Lock()
		throttle, drop := f.throttle > 0, f.drop > 0
		if throttle {
			f.throttle--
		} else if drop {
			f.drop--
		}
		f.mu.Unlock()
		if throttle {
			fmt.Fprintf(w, "%s NO [UNAVAILABLE] too many requests, slow down\r\n", tag)
			return true
		}
		if drop {
			fmt.Fprintf(w, "* 1 FETCH (UID %d BODY[] {100}\r\nhalf a mess", box.msgs[0].uid)
			w.Flush()
			return false
		}
	}
	var sel []int
	for i, m := range box.msgs {
		if inSet(set, m.uid) {
			sel = append(sel, i)
		}
	}
	for _, i := range sel {
		m := box.msgs[i]
		if body && f.refuse[m.uid] != "" || parts && f.refuseAll[m.uid] {
			fmt.Fprintf(w, "%s %s [SERVERBUG] message %d is broken\r\n", tag, f.refuse[m.uid], m.uid)
			return true
		}
	}
	for _, i := range sel {
		m := box.msgs[i]
		var its []string
		if !f.uidLast && !(f.noBodyUID && (body || parts)) {
			its = append(its, fmt.Sprintf("UID %d", m.uid))
		}
		if strings.Contains(items, "FLAGS") {
			its = append(its, "FLAGS ("+m.flags+")")
		}
		if strings.Contains(items, "INTERNALDATE") {
			its = append(its, fmt.Sprintf("INTERNALDATE %q", m.date))
		}
		if strings.Contains(items, "MODSEQ") {
			its = append(its, fmt.Sprintf("MODSEQ (%d)", 10*m.uid))
		}
		if strings.Contains(items, "RFC822.SIZE") {
			its = append(its, fmt.Sprintf("RFC822.SIZE %d", len(m.body)+f.sizeDelta[m.uid]))
		}
		if f.unknownResponses {
			its = append(its, "X-GM-MSGID 1278455344230334865", "X-VENDOR-BLOB {6}\r\n(\"]{1}")
		}
		lit := func(name, s string, isNil bool) {
			if isNil {
				its = append(its, name+" NIL")
			} else {
				its = append(its, fmt.Sprintf("%s {%d}\r\n%s", name, len(s), s))
			}
		}
		if body {
			lit("BODY[]", m.body, f.nilBody[m.uid] || f.nilAlways[m.uid])
		}
		if parts {
			h, t, _ := strings.Cut(m.body, "\r\n\r\n")
			lit("BODY[HEADER]", h+"\r\n\r\n", f.nilAlways[m.uid])
			lit("BODY[TEXT]", t, f.nilAlways[m.uid])
		}
		if f.uidLast && !(f.noBodyUID && (body || parts)) {
			its = append(its, fmt.Sprintf("UID %d", m.uid))
		}
		fmt.Fprintf(w, "* %d FETCH (%s)\r\n", i+1, strings.Join(its, " "))
		if f.unknownResponses {
			fmt.Fprintf(w, "* XNOTE this is not a response type you know {3}\r\nabc\r\n")
		}
	}
	fmt.Fprintf(w, "%s OK fetched\r\n", tag)
	return true
}

func inSet(set string, uid uint32) bool {
	for _, r := range strings.Split(set, ",") {
		lo, hi, isRange := strings.Cut(r, ":")
		a, _ := strconv.ParseUint(lo, 10, 32)
		b := a
		if isRange {
			if hi == "*" {
				b = 1 << 32
			} else {
				b, _ = strconv.ParseUint(hi, 10, 32)
			}
		}
		if a > b {
			a, b = b, a
		}
		if uint64(uid) >= a && uint64(uid) <= b {
			return true
		}
	}
	return false
}

// msgs makes n messages with UIDs from first, every other UID.
func msgs(first uint32, n int) []fakeMsg {
	var out []fakeMsg
	for i := 0; i < n; i++ {
		uid := first + uint32(2*i)
		out = append(out, fakeMsg{uid: uid, flags: `\Seen`, date: "17-Jul-1996 02:44:25 -0700",
			body: fmt.Sprintf("From: a@example.org\r\nSubject: message %d\r\n\r\nbody of %d\r\n", uid, uid)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].uid < out[j].uid })
	return out
}
