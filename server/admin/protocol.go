package admin

// The admin socket protocol.
//
// The socket is a Unix stream socket, <datadir>/admin.sock, mode 0600 inside
// the owner-only data directory: whoever can connect may administer the
// server, so the file system is the authentication.
//
// A client sends one request per line, a JSON object; the server answers each
// with one response line, a JSON object, in order. A connection may carry any
// number of requests; either side may close it between requests.
//
//	request:  {"op":"user.add","user":"alice","password":"s3cret"}
//	response: {"result":{"name":"alice","created":"2026-01-02T03:04:05Z"}}
//	request:  {"op":"mailbox.list","user":"bob"}
//	response: {"error":{"kind":"account-not-found","message":"listing mailboxes: no such account: \"bob\""}}
//
// Operations and their fields (result types are this package's, in JSON):
//
//	user.add      user, password   → User
//	user.list                      → [User]
//	user.passwd   user, password   → (none: {})
//	user.import   user_hash        → ImportedUser
//	user.delete   user             → (none: {})
//	mailbox.list  user             → [Mailbox]
//	message.list  user, mailbox    → [Message]
//	import        import           → importer.Report, after progress lines
//
// "import" is the one operation answered with more than one line: zero or
// more progress lines, each {"progress":importer.Progress}, then the usual
// final line with the report or the error. Its request carries an
// ImportRequest:
//
//	request:  {"op":"import","import":{"format":"maildir","path":"/home/alice/Maildir","user":"alice"}}
//	response: {"progress":{"mailbox":"INBOX","read":200,"imported":200,"skipped":0,"bytes":412345}}
//	response: {"progress":{"mailbox":"INBOX","read":312,"imported":312,"skipped":0,"bytes":650112,"done":true}}
//	response: {"result":{"mailboxes":[{"source":"/home/alice/Maildir","target":"INBOX",…}]}}
//
// While an import runs the client sends nothing. Closing the connection
// cancels the import in the server; like an import killed any other way, a
// later run resumes it.
//
// An error response carries the full error text and a kind from errorKinds,
// from which the Client re-creates an error that wraps the same sentinel as
// Local would have returned. Unknown kinds are "internal".

import (
	"errors"

	"github.com/ferrymail/ferrymail/store"
	"github.com/ferrymail/ferrymail/store/password"
)

// Operation names on the wire.
const (
	opUserAdd     = "user.add"
	opUserList    = "user.list"
	opUserPasswd  = "user.passwd"
	opUserImport  = "user.import"
	opUserDelete  = "user.delete"
	opMailboxList = "mailbox.list"
	opMessageList = "message.list"
	opImport      = "import"
)

// maxRequestLine bounds one request line. Account names are at most 255
// bytes and mailbox names 1000 in the store; this leaves room for any
// password a person would type, and keeps a confused peer from making the
// server buffer without end.
const maxRequestLine = 64 << 10

type request struct {
	Op       string `json:"op"`
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
	Mailbox  string `json:"mailbox,omitempty"`

	Import   *ImportRequest `json:"import,omitempty"`
	UserHash *UserHash      `json:"user_hash,omitempty"`
}

type response struct {
	Result   any        `json:"result,omitempty"`
	Error    *wireError `json:"error,omitempty"`
	Progress any        `json:"progress,omitempty"` // import only, not final
}

// wireError is an error as it crosses the socket.
type wireError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// ErrBadRequest is returned for a request the server cannot understand: an
// unknown operation (client and server of different versions) or a line
// that is not JSON.
var ErrBadRequest = errors.New("bad admin request")

// errorKinds maps the errors a caller may want to tell apart to their names
// on the wire. Order matters only in that the first match wins.
var errorKinds = []struct {
	kind string
	err  error
}{
	{"account-not-found", store.ErrAccountNotFound},
	{"account-exists", store.ErrAccountExists},
	{"invalid-account-name", store.ErrInvalidAccountName},
	{"mailbox-not-found", store.ErrMailboxNotFound},
	{"invalid-mailbox-name", store.ErrInvalidMailboxName},
	{"empty-password", ErrEmptyPassword},
	{"unknown-password-scheme", password.ErrUnknownScheme},
	{"bad-request", ErrBadRequest},
}

const kindInternal = "internal"

// toWire describes err for the wire.
func toWire(err error) *wireError {
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return &wireError{Kind: k.kind, Message: err.Error()}
		}
	}
	return &wireError{Kind: kindInternal, Message: err.Error()}
}

// RemoteError is an error returned by the admin server. It wraps the
// sentinel its kind names, so errors.Is works as with Local.
type RemoteError struct {
	Kind    string
	Message string
}

func (e *RemoteError) Error() string { return e.Message }

func (e *RemoteError) Unwrap() error {
	for _, k := range errorKinds {
		if k.kind == e.Kind {
			return k.err
		}
	}
	return nil
}
