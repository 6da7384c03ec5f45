package verify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// memIMAP starts go-imap's in-memory server on loopback with user u,
// password p, and mailboxes filled through APPEND; it returns the address.
func memIMAP(t *testing.T, fill map[string][]string, flags map[string][][]imap.Flag) string {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("u", "p")
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		InsecureAuth: true,
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		Logger:       discardLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c, err := imapclient.DialInsecure(ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("u", "p").Wait(); err != nil {
		t.Fatal(err)
	}
	for name, bodies := range fill {
		if err := c.Create(name, nil).Wait(); err != nil { // the memory server starts without INBOX
			t.Fatal(err)
		}
		for i, b := range bodies {
			var f []imap.Flag
			if flags[name] != nil {
				f = flags[name][i]
			}
			cmd := c.Append(name, int64(len(b)), &imap.AppendOptions{Flags: f})
			cmd.Write([]byte(b))
			cmd.Close()
			if _, err := cmd.Wait(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ln.Addr().String()
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// TestIMAPReaders: both IMAP readers read a real IMAP server (go-imap's
// in-memory one, on loopback): every selectable mailbox, its identifiers,
// each UID's size and flags; patterns select mailboxes; a refused login
// is a ConnectError.
func TestIMAPReaders(t *testing.T) {
	for name, r := range map[string]IMAPReader{"imapclient": IMAPClientReader{}, "tolerant": TolerantReader{}} {
		t.Run(name, func(t *testing.T) { testIMAPReader(t, r) })
	}
}

func testIMAPReader(t *testing.T, reader IMAPReader) {
	msg := "Subject: x\r\n\r\nhello\r\n"
	addr := memIMAP(t, map[string][]string{
		"INBOX":        {msg, msg + "more\r\n"},
		"Archive":      {msg},
		"Archive/2019": {},
	}, map[string][][]imap.Flag{"INBOX": {{imap.FlagSeen}, {imap.FlagFlagged, "$Label1"}}, "Archive": {nil}})
	ctx := context.Background()
	e := Endpoint{Addr: addr, User: "u", Password: "p", Timeout: 10 * time.Second}
	got, err := reader.ReadIMAP(ctx, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d mailboxes, want 3: %v", len(got), got)
	}
	in := got["INBOX"]
	if in == nil || in.UIDValidity == 0 || in.UIDNext != 3 || len(in.Messages) != 2 {
		t.Fatalf("INBOX = %+v", in)
	}
	if m := in.Messages[1]; m.Size != int64(len(msg)) || strings.Join(normalFlags(m.Flags), " ") != `\seen` {
		t.Errorf("UID 1 = %+v", m)
	}
	if m := in.Messages[2]; m.Size != int64(len(msg)+6) || strings.Join(normalFlags(m.Flags), " ") != `$label1 \flagged` {
		t.Errorf("UID 2 = %+v", m)
	}
	// The same server twice is identical.
	again, err := reader.ReadIMAP(ctx, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := Compare(&Snapshot{Mailboxes: got}, &Snapshot{Mailboxes: again}); r.Differences() != 0 {
		t.Errorf("a server differs from itself:\n%s", dump(r))
	}
	only, err := reader.ReadIMAP(ctx, e, []string{"Archive/%"})
	if err != nil {
		t.Fatal(err)
	}
	if len(only) != 1 || only["Archive/2019"] == nil {
		t.Errorf("pattern Archive/%% read %v", only)
	}

	_, err = reader.ReadIMAP(ctx, Endpoint{Addr: addr, User: "u", Password: "wrong", Timeout: 10 * time.Second}, nil)
	var cerr *ConnectError
	if !errors.As(err, &cerr) {
		t.Errorf("a wrong password gave %v, want a ConnectError", err)
	}
}

// pop3Script is a scripted POP3 server on loopback: it answers USER, PASS,
// UIDL, LIST and QUIT from its listing, and records every command.
type pop3Script struct {
	mu       sync.Mutex
	commands []string
	listing  []POP3Entry
	extra    string // a line added to the UIDL answer
}

func (p *pop3Script) start(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return ln.Addr().String()
}

func (p *pop3Script) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	fmt.Fprint(c, "+OK scripted\r\n")
	for range 20 {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		p.mu.Lock()
		p.commands = append(p.commands, line)
		p.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		switch verb {
		case "USER":
			fmt.Fprint(c, "+OK\r\n")
		case "PASS":
			if arg != "p" {
				fmt.Fprint(c, "-ERR [AUTH] no\r\n")
				continue
			}
			fmt.Fprint(c, "+OK\r\n")
		case "UIDL", "LIST":
			fmt.Fprint(c, "+OK\r\n")
			for i, e := range p.listing {
				v := e.UIDL
				if verb == "LIST" {
					v = fmt.Sprint(e.Size)
				}
				fmt.Fprintf(c, "%d %s\r\n", i+1, v)
			}
			if verb == "UIDL" && p.extra != "" {
				fmt.Fprintf(c, "%s\r\n", p.extra)
			}
			fmt.Fprint(c, ".\r\n")
		case "QUIT":
			fmt.Fprint(c, "+OK\r\n")
			return
		default:
			fmt.Fprint(c, "-ERR unknown\r\n")
		}
	}
}

// TestPOP3ClientReader reads a scripted POP3 server: the listing in
// order with LIST's sizes, and nothing but USER, PASS, UIDL, LIST, QUIT sent.
func TestPOP3ClientReader(t *testing.T) {
	s := &pop3Script{listing: []POP3Entry{{"00000001abc", 120}, {"x-2", 4000}, {"third", 7}}}
	addr := s.start(t)
	got, err := POP3ClientReader{}.ReadPOP3(context.Background(), Endpoint{Addr: addr, User: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(s.listing) {
		t.Errorf("listing %v, want %v", got, s.listing)
	}
	s.mu.Lock()
	cmds := strings.Join(s.commands, "|")
	s.mu.Unlock()
	if cmds != "USER u|PASS p|UIDL|LIST|QUIT" {
		t.Errorf("commands sent: %s", cmds)
	}

	_, err = POP3ClientReader{}.ReadPOP3(context.Background(), Endpoint{Addr: addr, User: "u", Password: "bad"})
	var cerr *ConnectError
	if !errors.As(err, &cerr) {
		t.Errorf("a refused login gave %v, want a ConnectError", err)
	}

	// A line that cannot be read fails the verification rather than
	// hiding a difference.
	s.extra = "garbage"
	if _, err := (POP3ClientReader{}).ReadPOP3(context.Background(), Endpoint{Addr: addr, User: "u", Password: "p"}); err == nil || errors.As(err, &cerr) {
		t.Errorf("a broken UIDL line gave %v, want a protocol error", err)
	}
}

// TestRunConnectError: a server that cannot be reached is a ConnectError,
// and Run does not wait for the other side.
func TestRunConnectError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	s := &pop3Script{}
	addr := memIMAP(t, map[string][]string{"INBOX": {"Subject: a\r\n\r\nb\r\n"}}, nil)
	_, err = Run(context.Background(), Options{
		Old:     Endpoint{Addr: addr, User: "u", Password: "p"},
		New:     Endpoint{Addr: dead, User: "u", Password: "p"},
		OldPOP3: Endpoint{Addr: s.start(t), User: "u", Password: "p"},
		NewPOP3: Endpoint{Addr: dead, User: "u", Password: "p"},
	})
	var cerr *ConnectError
	if !errors.As(err, &cerr) || cerr.Addr != dead {
		t.Errorf("Run gave %v, want a ConnectError for %s", err, dead)
	}
}

// FuzzParseListingLine: any line is read or refused, never a panic, and
// what is read has a positive number and a value without spaces.
func FuzzParseListingLine(f *testing.F) {
	for _, s := range []string{"1 00000001abc", "2 4000", ".3 x", "1", "", "0 a", "-1 a", "1  a b", "99999999999999999999 a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		l, err := parseListingLine(line)
		if err != nil {
			return
		}
		if l.n < 1 || l.arg == "" || strings.ContainsAny(l.arg, " \t") {
			t.Errorf("parseListingLine(%q) = %+v", line, l)
		}
	})
}
