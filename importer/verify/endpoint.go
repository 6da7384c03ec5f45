package verify

import (
	"context"
	"fmt"
	"time"

	"github.com/ferrymail/ferrymail/importer/remote"
)

// Endpoint is one server and account to read.
type Endpoint struct {
	Addr               string // host:port
	User, Password     string
	TLS                remote.TLSMode
	InsecureSkipVerify bool // accept any certificate (self-signed legacy servers)
	// Timeout bounds one read or write (POP3, the tolerant reader) or the
	// dial (imapclient, whose read timeouts are its own); 0: DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds one read or write: a server that stops answering
// is a failed verification, not a hung one.
const DefaultTimeout = time.Minute

func (e *Endpoint) timeout() time.Duration {
	if e.Timeout > 0 {
		return e.Timeout
	}
	return DefaultTimeout
}

// ConnectError is a failure to reach a server or to log in: nothing was
// compared. The command exits with its own status for it.
type ConnectError struct {
	Addr string
	Err  error
}

func (e *ConnectError) Error() string { return fmt.Sprintf("%s: %v", e.Addr, e.Err) }
func (e *ConnectError) Unwrap() error { return e.Err }

// IMAPReader reads an account's mailboxes over IMAP. IMAPClientReader is
// the one there is, on go-imap's imapclient; the tolerant client of the
// live-IMAP importer (importer/imapsrc) can take its place for legacy
// servers that imapclient fails on (GO-IMAP-NOTES.md §5: unknown untagged
// responses, names that are not modified UTF-7).
type IMAPReader interface {
	// ReadIMAP returns the selectable mailboxes whose names (as compared:
	// "/"-separated) match one of patterns (LIST patterns, RFC 9051 §6.3.9:
	// "*" any text, "%" any text without "/"); no patterns is all.
	ReadIMAP(ctx context.Context, e Endpoint, patterns []string) (map[string]*Mailbox, error)
}

// POP3Reader reads an account's maildrop listing.
type POP3Reader interface {
	ReadPOP3(ctx context.Context, e Endpoint) ([]POP3Entry, error)
}
