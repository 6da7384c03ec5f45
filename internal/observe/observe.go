// Package observe is the one interface through which the protocol servers
// (imap, pop3, lmtp) and the admin socket report what they do, for metrics.
// It keeps those packages free of any metrics library: server/metrics
// implements Observer with Prometheus, and the zero configuration uses Nop.
//
// Label values are bounded sets (protocol names, upper-case command names
// from each server's own dispatch table, the outcomes below), never client
// input, so that a scanner cannot grow the number of metric series.
package observe

import "time"

// Protocols, the proto argument of every method.
const (
	IMAP  = "imap"
	POP3  = "pop3"
	LMTP  = "lmtp"
	Admin = "admin"
)

// Command outcomes: the wire status class, lower-case.
const (
	// OK: IMAP OK, POP3 +OK, SMTP 2xx.
	OK = "ok"
	// No: IMAP NO, POP3 -ERR, SMTP 4xx/5xx for a reason the client caused
	// or that is ordinary (unknown user, too big).
	No = "no"
	// Bad: IMAP BAD, a POP3 -ERR that counts as a client error (unknown
	// command, bad syntax, wrong state).
	Bad = "bad"
	// Error: the server failed (IMAP NO [SERVERBUG], POP3 -ERR [SYS/TEMP],
	// SMTP 451).
	Error = "error"
	// Dropped: the connection broke while the command was answered.
	Dropped = "dropped"
)

// Login outcomes.
const (
	LoginOK     = "ok"
	LoginFailed = "failed" // wrong name or password
	LoginError  = "error"  // anything else: store failure, maildrop in use
)

// Observer receives events from the servers. Implementations must be safe
// for concurrent use and fast: they are called on every command.
type Observer interface {
	// ConnOpened and ConnClosed bracket every accepted connection.
	ConnOpened(proto string)
	ConnClosed(proto string)
	// ConnRefused counts a connection turned away before a session began
	// (shutting down, a connection limit); reason is a short fixed word.
	ConnRefused(proto, reason string)
	// Command reports one command, named as in the server's dispatch
	// table, with its outcome and how long it took.
	Command(proto, name, outcome string, d time.Duration)
	// Login reports one authentication attempt.
	Login(proto, outcome string)
	// Delivery reports one LMTP delivery to one recipient; bytes counts
	// the stored message (0 when it was not stored).
	Delivery(outcome string, bytes int64)
	// Import reports messages brought in by an import run through the admin
	// socket, by outcome (imported, skipped, failed).
	Import(outcome string, messages, bytes int64)
}

// Nop is the Observer that does nothing.
type Nop struct{}

var _ Observer = Nop{}

func (Nop) ConnOpened(string)                             {}
func (Nop) ConnClosed(string)                             {}
func (Nop) ConnRefused(string, string)                    {}
func (Nop) Command(string, string, string, time.Duration) {}
func (Nop) Login(string, string)                          {}
func (Nop) Delivery(string, int64)                        {}
func (Nop) Import(string, int64, int64)                   {}

// OrNop returns o, or Nop when o is nil: servers call it once in New, so
// that their code never checks for nil.
func OrNop(o Observer) Observer {
	if o == nil {
		return Nop{}
	}
	return o
}
