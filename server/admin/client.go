package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/ferrymail/ferrymail/importer"
)

// dialTimeout bounds connecting to the admin socket. A server that does not
// accept within it is hung, and waiting longer would only hide that.
const dialTimeout = 5 * time.Second

// Client implements API by talking to a running server over its admin
// socket. It is safe for concurrent use; requests go one at a time.
type Client struct {
	mu     sync.Mutex
	nc     net.Conn
	r      *bufio.Reader
	broken error // set when the connection can no longer be used
}

var _ API = (*Client)(nil)

// Dial connects to the admin socket at path.
func Dial(ctx context.Context, path string) (*Client, error) {
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err // a *net.OpError naming the socket; Open inspects it
	}
	return &Client{nc: nc, r: bufio.NewReader(nc)}, nil
}

// Close closes the connection. A connection already closed because an
// import was cancelled is not an error.
func (c *Client) Close() error {
	if err := c.nc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// call sends one request and decodes the result into result (when not nil).
func (c *Client) call(ctx context.Context, req request, result any) error {
	return c.stream(ctx, req, result, nil)
}

// stream is call for a request answered with progress lines before the
// final one: each is passed to progress.
func (c *Client) stream(ctx context.Context, req request, result any, progress func(json.RawMessage) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return c.broken
	}
	if err := c.roundTrip(ctx, req, result, progress); err != nil {
		var remote *RemoteError
		if !errors.As(err, &remote) {
			// The answer to this request may still arrive and would be
			// taken for the answer to the next one.
			c.broken = err
			if progress != nil {
				// The server goes on until it sees the connection
				// close: closing it is how an import is cancelled.
				c.nc.Close()
			}
		}
		return err
	}
	return nil
}

func (c *Client) roundTrip(ctx context.Context, req request, result any, progress func(json.RawMessage) error) error {
	// Cancelling ctx unblocks the read and write below.
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	line, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encoding admin request: %w", err)
	}
	if _, err := c.nc.Write(append(line, '\n')); err != nil {
		return c.transportError(ctx, "sending to the admin server", err)
	}
	for {
		answer, err := c.r.ReadBytes('\n')
		if err != nil {
			return c.transportError(ctx, "reading from the admin server", err)
		}
		var resp struct {
			Result   json.RawMessage `json:"result"`
			Error    *wireError      `json:"error"`
			Progress json.RawMessage `json:"progress"`
		}
		if err := json.Unmarshal(answer, &resp); err != nil {
			return fmt.Errorf("decoding the admin server's answer: %w", err)
		}
		if len(resp.Progress) > 0 && resp.Error == nil && resp.Result == nil {
			if progress == nil {
				return fmt.Errorf("decoding the admin server's answer: progress for %s", req.Op)
			}
			if err := progress(resp.Progress); err != nil {
				return err
			}
			continue
		}
		if resp.Error != nil {
			return &RemoteError{Kind: resp.Error.Kind, Message: resp.Error.Message}
		}
		if result != nil && len(resp.Result) > 0 {
			if err := json.Unmarshal(resp.Result, result); err != nil {
				return fmt.Errorf("decoding the admin server's %s result: %w", req.Op, err)
			}
		}
		return nil
	}
}

func (c *Client) transportError(ctx context.Context, doing string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("%s: %w", doing, err)
}

func (c *Client) AddUser(ctx context.Context, name, password string) (User, error) {
	var u User
	err := c.call(ctx, request{Op: opUserAdd, User: name, Password: password}, &u)
	return u, err
}

func (c *Client) Users(ctx context.Context) ([]User, error) {
	var us []User
	err := c.call(ctx, request{Op: opUserList}, &us)
	return us, err
}

func (c *Client) SetPassword(ctx context.Context, name, password string) error {
	return c.call(ctx, request{Op: opUserPasswd, User: name, Password: password}, nil)
}

func (c *Client) DeleteUser(ctx context.Context, name string) error {
	return c.call(ctx, request{Op: opUserDelete, User: name}, nil)
}

func (c *Client) Mailboxes(ctx context.Context, user string) ([]Mailbox, error) {
	var mbs []Mailbox
	err := c.call(ctx, request{Op: opMailboxList, User: user}, &mbs)
	return mbs, err
}

func (c *Client) Messages(ctx context.Context, user, mailbox string) ([]Message, error) {
	var msgs []Message
	err := c.call(ctx, request{Op: opMessageList, User: user, Mailbox: mailbox}, &msgs)
	return msgs, err
}

// Import sends the request to the server, which runs the import on its
// store, so that IMAP and POP3 sessions see the new messages. It calls
// progress for each progress line. Cancelling ctx closes the connection,
// which cancels the import in the server. Unlike Local, an import that
// failed returns no report.
func (c *Client) Import(ctx context.Context, req ImportRequest, progress func(importer.Progress)) (*importer.Report, error) {
	var rep importer.Report
	err := c.stream(ctx, request{Op: opImport, User: req.User, Import: &req}, &rep, func(b json.RawMessage) error {
		var p importer.Progress
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("decoding the admin server's import progress: %w", err)
		}
		if progress != nil {
			progress(p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &rep, nil
}
