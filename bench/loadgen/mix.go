package loadgen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Op is one kind of command the load generator measures.
type Op string

// The IMAP operations, named as the table prints them.
const (
	OpConnect    Op = "CONNECT" // TCP (and TLS) connection and the greeting, both protocols
	OpLogin      Op = "LOGIN"
	OpSelect     Op = "SELECT"
	OpFetchFlags Op = "FETCH-FLAGS" // UID FETCH 1:* (FLAGS), a client's resync
	OpFetchBody  Op = "FETCH-BODY"  // UID FETCH u (BODY.PEEK[]) of a random message
	OpStore      Op = "STORE"       // UID STORE u ±FLAGS (\Seen | \Flagged)
	OpDelete     Op = "STORE-DEL"   // UID STORE u +FLAGS (\Deleted), the first half of a delete
	OpAppend     Op = "APPEND"      // a generated message
	OpExpunge    Op = "EXPUNGE"
	OpIdle       Op = "IDLE" // IDLE, a short wait, DONE: measured without the wait
	OpNoop       Op = "NOOP"
	OpLogout     Op = "LOGOUT"
)

// The POP3 operations.
const (
	OpPOP3Login Op = "USER+PASS"
	OpUIDL      Op = "UIDL"
	OpRetr      Op = "RETR"
	OpQuit      Op = "QUIT"
)

// Session is the whole of one client's connection, login to logout; it
// is counted like a command so that sessions per second show in the table.
const OpSession Op = "SESSION"

// Mix is the weighted choice of commands a client makes between SELECT and
// LOGOUT, and how many it makes in one session.
type Mix struct {
	Weights     map[Op]int
	MinCommands int // per session, after SELECT and the first FETCH-FLAGS
	MaxCommands int
}

// DefaultMix is shaped like a desktop mail client's traffic, in the spirit
// of Dovecot's imaptest defaults: reading dominates, flags change often,
// new mail arrives and old mail goes (APPEND and STORE-DEL equal, so a
// mailbox keeps its size), and the client sits in IDLE now and then.
func DefaultMix() Mix {
	return Mix{
		Weights: map[Op]int{
			OpFetchBody:  30,
			OpFetchFlags: 10,
			OpStore:      20,
			OpDelete:     8,
			OpAppend:     8,
			OpExpunge:    6,
			OpIdle:       4,
			OpNoop:       4,
		},
		MinCommands: 10,
		MaxCommands: 30,
	}
}

// mixable are the operations a mix may weigh; the others belong to every
// session (LOGIN, SELECT, LOGOUT).
var mixable = []Op{OpFetchBody, OpFetchFlags, OpStore, OpDelete, OpAppend, OpExpunge, OpIdle, OpNoop}

// ParseMix reads a mix like "FETCH-BODY=30,STORE=20,APPEND=8": weights of
// the named operations (case-insensitive), the others 0. "" gives
// DefaultMix.
func ParseMix(s string) (Mix, error) {
	m := DefaultMix()
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	m.Weights = map[Op]int{}
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Mix{}, fmt.Errorf("mix: %q: want OP=WEIGHT", part)
		}
		op := Op(strings.ToUpper(strings.TrimSpace(name)))
		if !slices.Contains(mixable, op) {
			return Mix{}, fmt.Errorf("mix: unknown operation %q (known: %s)", name, joinOps(mixable))
		}
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 0 || n > 1_000_000 {
			return Mix{}, fmt.Errorf("mix: %s: weight %q is not a number from 0 to 1000000", op, w)
		}
		m.Weights[op] += n
		total += n
	}
	if total == 0 {
		return Mix{}, fmt.Errorf("mix: all weights are 0")
	}
	return m, nil
}

func joinOps(ops []Op) string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

// Step is one planned command: the operation and the random choices it
// needs, drawn in advance so that the plan depends only on the seed, never
// on the server's answers. Pick is a fraction in [0,1) that selects a
// message from whatever the mailbox holds when the command runs.
type Step struct {
	Op   Op
	Pick float64
	Alt  int // which variant: the flag a STORE changes, the message APPEND sends
}

// Plan draws the steps of a client's sessions from a mix and a seed.
type Plan struct {
	mix   Mix
	ops   []Op // in mixable order, weight > 0
	cum   []int
	total int
	rng   *rand.Rand
}

// NewPlan returns the plan of client number client for seed: the same
// sequence of steps on every run with the same mix, seed and client.
func NewPlan(m Mix, seed uint64, client int) *Plan {
	p := &Plan{mix: m, rng: rand.New(rand.NewPCG(seed, uint64(client)+1))}
	for _, op := range mixable {
		if w := m.Weights[op]; w > 0 {
			p.total += w
			p.ops = append(p.ops, op)
			p.cum = append(p.cum, p.total)
		}
	}
	return p
}

// SessionLength draws how many mixed commands the next session makes.
func (p *Plan) SessionLength() int {
	lo, hi := p.mix.MinCommands, max(p.mix.MaxCommands, p.mix.MinCommands)
	return lo + p.rng.IntN(hi-lo+1)
}

// Next draws the next step.
func (p *Plan) Next() Step {
	r := p.rng.IntN(p.total)
	i, _ := slices.BinarySearch(p.cum, r+1)
	return Step{Op: p.ops[i], Pick: p.rng.Float64(), Alt: p.rng.IntN(1 << 20)}
}
