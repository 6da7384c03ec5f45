package imapsrc

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ferrymail/ferrymail/importer/remote"
)

// Commands sent, all standard (RFC 9051 / RFC 3501 unless named):
// CAPABILITY (§6.1.1), STARTTLS (§6.2.1), LOGIN (§6.2.3), AUTHENTICATE
// PLAIN (§6.2.2, RFC 4616), LIST (§6.3.9), LSUB (RFC 3501 §6.3.9) or
// LIST (SUBSCRIBED) (RFC 5258 §3) on servers without IMAP4rev1, EXAMINE
// (§6.3.3), STATUS (§6.3.11), UID FETCH (§6.4.9) with the items UID, FLAGS,
// INTERNALDATE, RFC822.SIZE, BODY.PEEK[], BODY.PEEK[HEADER] and
// BODY.PEEK[TEXT] (§6.4.5), and LOGOUT (§6.1.3). Never SELECT, STORE,
// EXPUNGE or anything that changes the source, and never RFC822.PEEK, which
// does not exist and which legacy servers answer with BAD.

// Error is a tagged NO or BAD: the server refused one command.
type Error struct {
	Cmd  string // the command without its secrets
	Kind string // "NO" or "BAD"
	Code string // the response code, upper case ("UNAVAILABLE", "LIMIT" …), "" if none
	Text string
}

func (e *Error) Error() string {
	code := ""
	if e.Code != "" {
		code = "[" + e.Code + "] "
	}
	return fmt.Sprintf("%s: server answered %s %s%s", e.Cmd, e.Kind, code, e.Text)
}

// throttled says the server refused for now, not for good: RFC 5530 §3
// UNAVAILABLE ("temporary failure"), LIMIT ("exceeded a limit"), INUSE.
func (e *Error) throttled() bool {
	return e.Code == "UNAVAILABLE" || e.Code == "LIMIT" || e.Code == "INUSE"
}

// byeError is an untagged BYE: the server ends the connection.
type byeError struct{ text string }

func (e *byeError) Error() string { return "server said BYE: " + e.text }

// connLost says whether err ends the connection (so that the source opens
// another, after a pause): an I/O error, a BYE, a response this client
// cannot parse, or a throttling NO.
func connLost(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.throttled()
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// Client is one IMAP connection in the authenticated (or selected) state,
// for reading a server without changing it. It is what the importer uses,
// and what a verifier can use to compare a server with the store: List,
// Examine and FetchMeta. A Client is not safe for concurrent use. The
// context given to Dial ends the connection when it is cancelled.
type Client struct {
	conn net.Conn
	rd   *reader
	w    *bufio.Writer
	caps map[string]bool
	tag  int
	stop func() bool
}

// deadlineConn gives every read and write its own deadline: a slow link
// may take long over a large message, but a silent server is a lost
// connection (GO-IMAP-NOTES.md §5.6: no fixed 5 minutes for a literal).
type deadlineConn struct {
	net.Conn
	d time.Duration
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.d))
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.d))
	return c.Conn.Write(p)
}

// Dial connects, secures the connection as o.TLS says, and logs in.
func Dial(ctx context.Context, o Options) (*Client, error) {
	o.defaults()
	conn, tlsConf, err := remote.Dial(ctx, o.Dial, o.Addr, o.TLS, o.InsecureSkipVerify)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", o.Addr, err)
	}
	c := &Client{}
	c.setConn(conn, &o)
	// Cancelling the import ends a read or write that waits at once.
	c.stop = context.AfterFunc(ctx, func() { conn.Close() })
	if err := c.login(&o, tlsConf); err != nil {
		c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return c, nil
}

func (c *Client) setConn(conn net.Conn, o *Options) {
	c.conn = conn
	dc := &deadlineConn{Conn: conn, d: o.Timeout}
	c.rd = &reader{br: bufio.NewReaderSize(dc, 64<<10), spoolDir: o.SpoolDir}
	c.w = bufio.NewWriter(dc)
}

// Close drops the connection without LOGOUT.
func (c *Client) Close() error {
	if c.stop != nil {
		c.stop()
	}
	return c.conn.Close()
}

// Logout ends the session politely and closes the connection.
func (c *Client) Logout() error {
	_, err := c.run(nil, "LOGOUT")
	c.Close()
	var bye *byeError
	if errors.As(err, &bye) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil // a BYE is the expected answer; some servers close before OK
	}
	return err
}

// Has says whether the server announced capability cap (upper case).
func (c *Client) Has(cap string) bool { return c.caps[strings.ToUpper(cap)] }

// login reads the greeting, STARTTLS if asked, and authenticates.
func (c *Client) login(o *Options, tlsConf *tls.Config) error {
	g, err := c.rd.readResponse()
	if err != nil {
		return fmt.Errorf("reading the greeting of %s: %w", o.Addr, err)
	}
	g.release()
	switch g.kind {
	case "BYE":
		return &byeError{g.text}
	case "OK", "PREAUTH":
	default:
		return fmt.Errorf("%w: greeting %q", errProtocol, g.kind)
	}
	c.capsFrom(g)
	if o.TLS == remote.TLSStartTLS {
		if err := c.ensureCaps(); err != nil {
			return err
		}
		if !c.Has("STARTTLS") {
			return fmt.Errorf("%s does not offer STARTTLS (try --tls implicit, or none on a trusted network)", o.Addr)
		}
		if _, err := c.run(nil, "STARTTLS"); err != nil {
			return err
		}
		tc := tls.Client(c.conn, tlsConf)
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("TLS with %s: %w", o.Addr, err)
		}
		c.setConn(tc, o)
		c.caps = nil // RFC 9051 §6.2.1: capabilities from before TLS are void
	}
	if g.kind == "PREAUTH" {
		return c.ensureCaps()
	}
	if err := c.ensureCaps(); err != nil {
		return err
	}
	var st *response
	switch {
	case !c.Has("LOGINDISABLED"):
		st, err = c.run(nil, "LOGIN", astring(o.User), astring(o.Password))
	case c.Has("AUTH=PLAIN"):
		st, err = c.authPlain(o)
	default:
		return fmt.Errorf("%s refuses LOGIN (LOGINDISABLED) and offers no AUTH=PLAIN (try --tls starttls or implicit)", o.Addr)
	}
	if err != nil {
		return fmt.Errorf("logging in to %s as %s: %w", o.Addr, o.User, err)
	}
	// RFC 9051 §6.2.3: the OK may carry the new capabilities; else ask.
	c.caps = nil
	c.capsFrom(st)
	return c.ensureCaps()
}

// authPlain is AUTHENTICATE PLAIN (RFC 4616) with the response sent after
// the continuation request (no SASL-IR needed).
func (c *Client) authPlain(o *Options) (*response, error) {
	ir := base64.StdEncoding.EncodeToString([]byte("\x00" + o.User + "\x00" + o.Password))
	return c.run(func(r *response) bool { return false }, "AUTHENTICATE", "PLAIN", continuation(ir))
}

func (c *Client) capsFrom(r *response) {
	if r != nil && r.code == "CAPABILITY" {
		c.setCaps(strings.Fields(r.codeArgs))
	}
}

func (c *Client) setCaps(list []string) {
	c.caps = map[string]bool{}
	for _, s := range list {
		c.caps[strings.ToUpper(s)] = true
	}
}

func (c *Client) ensureCaps() error {
	if c.caps != nil {
		return nil
	}
	_, err := c.run(func(r *response) bool {
		if r.kind == "CAPABILITY" {
			var l []string
			for i := range r.fields {
				l = append(l, r.fields[i].str())
			}
			c.setCaps(l)
		}
		return false
	}, "CAPABILITY")
	if c.caps == nil {
		c.caps = map[string]bool{}
	}
	return err
}

// Command arguments: a plain string is sent as it is (an atom or a
// pre-formatted part); these types are encoded.
type (
	// astring is sent quoted, or as a literal when it holds octets a
	// quoted string cannot (RFC 9051 §4.3: CR, LF, NUL, 8-bit).
	astring string
	// continuation is sent as its own line after the server's "+".
	continuation string
)

func needsLiteral(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c == '\r' || c == '\n' || c >= 0x80 {
			return true
		}
	}
	return false
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// run sends one command and reads until its tagged answer. Untagged
// responses go to onData (nil: ignored); it returns true when it took
// ownership of the spools in the response. A NO or BAD is an *Error.
func (c *Client) run(onData func(*response) bool, args ...any) (*response, error) {
	c.tag++
	tag := "f" + strconv.Itoa(c.tag)
	c.w.WriteString(tag)
	name := fmt.Sprint(args[0])
	if name == "UID" && len(args) > 1 {
		name += " " + fmt.Sprint(args[1])
	}
	for _, a := range args {
		var lit string
		var isLit bool
		if _, ok := a.(continuation); !ok {
			c.w.WriteByte(' ')
		}
		switch a := a.(type) {
		case string:
			c.w.WriteString(a)
		case astring:
			if needsLiteral(string(a)) {
				lit, isLit = string(a), true
			} else {
				c.w.WriteString(quote(string(a)))
			}
		case continuation:
			// The command line ends; the data follows the server's "+"
			// (RFC 9051 §6.2.2).
			c.w.WriteString("\r\n")
			if err := c.awaitContinuation(tag, name, onData); err != nil {
				return nil, err
			}
			c.w.WriteString(string(a))
		}
		if isLit {
			// A synchronising literal (RFC 9051 §4.3): wait for "+".
			fmt.Fprintf(c.w, "{%d}\r\n", len(lit))
			if err := c.awaitContinuation(tag, name, onData); err != nil {
				return nil, err
			}
			c.w.WriteString(lit)
		}
	}
	c.w.WriteString("\r\n")
	if err := c.w.Flush(); err != nil {
		return nil, err
	}
	return c.await(tag, name, onData, false)
}

// awaitContinuation flushes what was written and reads until "+".
func (c *Client) awaitContinuation(tag, name string, onData func(*response) bool) error {
	if err := c.w.Flush(); err != nil {
		return err
	}
	_, err := c.await(tag, name, onData, true)
	return err
}

// await reads responses until the command's tagged one (or "+", when
// wanted). Responses with other tags are ignored.
func (c *Client) await(tag, name string, onData func(*response) bool, wantPlus bool) (*response, error) {
	for {
		r, err := c.rd.readResponse()
		if err != nil {
			return nil, err
		}
		switch {
		case r.tag == "+":
			if wantPlus {
				return r, nil
			}
		case r.tag == "*":
			if r.kind == "BYE" {
				// The connection ends; the tagged answer will not come
				// (LOGOUT excepted, where it may).
				if name != "LOGOUT" {
					return nil, &byeError{r.text}
				}
			}
			if onData == nil || !onData(r) {
				r.release()
			}
		case r.tag == tag:
			if r.kind == "OK" {
				return r, nil
			}
			if r.kind == "NO" || r.kind == "BAD" {
				return nil, &Error{Cmd: name, Kind: r.kind, Code: r.code, Text: r.text}
			}
			return nil, fmt.Errorf("%w: tagged %s", errProtocol, r.kind)
		default:
			r.release()
		}
	}
}
