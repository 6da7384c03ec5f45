package pop3

// state is a POP3 session state (RFC 1939 §3).
type state uint8

const (
	// stateAuthorization: from the greeting until a successful login.
	stateAuthorization state = iota + 1
	// stateTransaction: logged in, the maildrop locked and snapshotted.
	stateTransaction
	// stateUpdate: QUIT was given in TRANSACTION; the DELEs are carried out
	// and the session ends. No command is accepted in it.
	stateUpdate
)

func (s state) String() string {
	switch s {
	case stateAuthorization:
		return "AUTHORIZATION"
	case stateTransaction:
		return "TRANSACTION"
	case stateUpdate:
		return "UPDATE"
	}
	return "invalid"
}

// states is a set of states.
type states uint8

func (ss states) has(s state) bool { return ss&(1<<s) != 0 }

func allowedIn(list ...state) states {
	var ss states
	for _, s := range list {
		ss |= 1 << s
	}
	return ss
}

// handler runs one command; arg is everything after the keyword and its
// space, as sent.
type handler func(s *session, arg string) error

// command is an entry of the dispatch table.
type command struct {
	run    handler
	states states
	// secret: the argument is a credential and is never logged.
	secret bool
}

var (
	inAuth  = allowedIn(stateAuthorization)
	inTrans = allowedIn(stateTransaction)
	inBoth  = allowedIn(stateAuthorization, stateTransaction)
)

// commands is the dispatch table: every command, its handler and the
// states it is allowed in. The command loop checks the state here, before
// the handler runs (CONVENTIONS §3); TestState sends every command in every
// state.
var commands = map[string]command{
	"CAPA": {run: (*session).cmdCapa, states: inBoth},               // RFC 2449 §5
	"USER": {run: (*session).cmdUser, states: inAuth},               // RFC 1939 §7
	"PASS": {run: (*session).cmdPass, states: inAuth, secret: true}, // RFC 1939 §7
	"APOP": {run: (*session).cmdApop, states: inAuth, secret: true}, // RFC 1939 §7 (refused)
	"AUTH": {run: (*session).cmdAuth, states: inAuth, secret: true}, // RFC 5034 §4
	"STLS": {run: (*session).cmdStls, states: inAuth},               // RFC 2595 §4
	"STAT": {run: (*session).cmdStat, states: inTrans},              // RFC 1939 §5
	"LIST": {run: (*session).cmdList, states: inTrans},              // RFC 1939 §5
	"RETR": {run: (*session).cmdRetr, states: inTrans},              // RFC 1939 §5
	"DELE": {run: (*session).cmdDele, states: inTrans},              // RFC 1939 §5
	"NOOP": {run: (*session).cmdNoop, states: inTrans},              // RFC 1939 §5
	"RSET": {run: (*session).cmdRset, states: inTrans},              // RFC 1939 §5
	"TOP":  {run: (*session).cmdTop, states: inTrans},               // RFC 1939 §7
	"UIDL": {run: (*session).cmdUidl, states: inTrans},              // RFC 1939 §7
	"QUIT": {run: (*session).cmdQuit, states: inBoth},               // RFC 1939 §4, §6
}
