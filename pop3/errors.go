package pop3

import "fmt"

// Response codes (RFC 2449 §8, RFC 3206 §4 and §5).
const (
	// CodeAuth: the credentials are invalid (RFC 3206 §5), or plaintext
	// authentication is refused on this connection.
	CodeAuth = "AUTH"
	// CodeInUse: the credentials are valid but the maildrop is locked by
	// another session (RFC 2449 §8.1.1).
	CodeInUse = "IN-USE"
	// CodeSysTemp: a temporary server problem (RFC 3206 §4).
	CodeSysTemp = "SYS/TEMP"
	// CodeSysPerm: a permanent server problem (RFC 3206 §4).
	CodeSysPerm = "SYS/PERM"
)

// Error is a protocol error: the command loop answers it with
// "-ERR [Code] Text" ("-ERR Text" when Code is empty). The text is shown to
// the client and must not contain internal detail.
type Error struct {
	Code string
	Text string
	// Strike counts the error towards the session's error limit
	// (Options.MaxErrors): unknown commands, bad syntax, wrong state and
	// failed logins do; "no such message" does not.
	Strike bool
	// Close ends the session after the response.
	Close bool
}

func (e *Error) Error() string {
	if e.Code != "" {
		return "[" + e.Code + "] " + e.Text
	}
	return e.Text
}

// errorf returns a plain -ERR that does not count towards the error limit.
func errorf(format string, args ...any) *Error {
	return &Error{Text: fmt.Sprintf(format, args...)}
}

// badf returns a -ERR for a client mistake (syntax, state, unknown
// command); it counts towards the error limit.
func badf(format string, args ...any) *Error {
	return &Error{Text: fmt.Sprintf(format, args...), Strike: true}
}
