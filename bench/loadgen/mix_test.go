package loadgen

import (
	"bytes"
	"net/mail"
	"reflect"
	"strings"
	"testing"
)

// TestPlanDeterministic: one seed and client give one sequence of steps;
// another seed or client gives another.
func TestPlanDeterministic(t *testing.T) {
	draw := func(seed uint64, client int) []Step {
		p := NewPlan(DefaultMix(), seed, client)
		var steps []Step
		for range 20 {
			n := p.SessionLength()
			steps = append(steps, Step{Op: "session", Alt: n})
			for range n {
				steps = append(steps, p.Next())
			}
		}
		return steps
	}
	a, b := draw(42, 3), draw(42, 3)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two plans with the same seed and client differ")
	}
	if reflect.DeepEqual(a, draw(43, 3)) {
		t.Error("seeds 42 and 43 give the same plan")
	}
	if reflect.DeepEqual(a, draw(42, 4)) {
		t.Error("clients 3 and 4 of one seed have the same plan")
	}
}

// TestPlanFollowsWeights: over many steps each operation comes up about
// as often as its weight says, and operations of weight 0 never.
func TestPlanFollowsWeights(t *testing.T) {
	m := DefaultMix()
	m.Weights[OpNoop] = 0
	p := NewPlan(m, 1, 0)
	const n = 100_000
	counts := map[Op]int{}
	for range n {
		s := p.Next()
		counts[s.Op]++
		if s.Pick < 0 || s.Pick >= 1 {
			t.Fatalf("Pick = %v, want [0,1)", s.Pick)
		}
	}
	total := 0
	for _, w := range m.Weights {
		total += w
	}
	for op, w := range m.Weights {
		want := float64(n) * float64(w) / float64(total)
		if got := float64(counts[op]); got < want*0.9-10 || got > want*1.1+10 {
			t.Errorf("%s: %v times in %d steps, want about %v", op, got, n, want)
		}
	}
	if counts[OpNoop] != 0 {
		t.Errorf("NOOP of weight 0 was drawn %d times", counts[OpNoop])
	}
	for range 1000 {
		if l := p.SessionLength(); l < m.MinCommands || l > m.MaxCommands {
			t.Fatalf("SessionLength = %d, want %d to %d", l, m.MinCommands, m.MaxCommands)
		}
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix(" fetch-body=3, STORE = 1,fetch-body=2")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[Op]int{OpFetchBody: 5, OpStore: 1}; !reflect.DeepEqual(m.Weights, want) {
		t.Errorf("weights = %v, want %v", m.Weights, want)
	}
	if d, _ := ParseMix(""); !reflect.DeepEqual(d, DefaultMix()) {
		t.Errorf("ParseMix(\"\") is not DefaultMix")
	}
	for _, bad := range []string{"LOGIN=1", "STORE", "STORE=x", "STORE=-1", "STORE=0", "FETCH-BODY=1,,"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) succeeded, want an error", bad)
		}
	}
}

func TestParseUsers(t *testing.T) {
	in := "# accounts\n\nalice:secret\r\nbob:{PLAIN}pw:1000:1000::/home/bob::\n"
	got, err := ParseUsers(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Credential{{"alice", "secret"}, {"bob", "pw"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"", "alice\n", ":pw\n", "alice:\n", "# only a comment\n"} {
		if _, err := ParseUsers(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseUsers(%q) succeeded, want an error", bad)
		}
	}
	if g := GeneratedUsers("u", 3, "p"); !reflect.DeepEqual(g, []Credential{{"u1", "p"}, {"u2", "p"}, {"u3", "p"}}) {
		t.Errorf("GeneratedUsers = %v", g)
	}
}

// TestMessage: a generated message is the same for the same seed and
// number, differs otherwise, parses as RFC 5322 mail, ends its lines in
// CRLF, and its size follows messageSizes.
func TestMessage(t *testing.T) {
	if !bytes.Equal(Message(5, 9), Message(5, 9)) {
		t.Fatal("Message(5, 9) differs between calls")
	}
	if bytes.Equal(Message(5, 9), Message(6, 9)) || bytes.Equal(Message(5, 9), Message(5, 10)) {
		t.Fatal("different seeds or numbers give the same message")
	}
	small, large := 0, 0
	const n = 500
	for i := range n {
		m := Message(1, i)
		if bytes.Contains(bytes.ReplaceAll(m, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(m, []byte("\r\r")) {
			t.Fatalf("message %d has a line not ended by CRLF", i)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m))
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if msg.Header.Get("Message-Id") == "" || msg.Header.Get("Date") == "" {
			t.Fatalf("message %d lacks Message-ID or Date", i)
		}
		switch {
		case len(m) < 8_000:
			small++
		case len(m) > 32_000:
			large++
		}
		if len(m) > 520_000 {
			t.Fatalf("message %d is %d bytes, above the distribution's largest class", i, len(m))
		}
	}
	// 70 % below 8 kB and 10 % above 32 kB by the distribution.
	if small < n*60/100 || small > n*80/100 || large < n*5/100 || large > n*16/100 {
		t.Errorf("of %d messages %d are below 8 kB and %d above 32 kB; want about 70%% and 10%%", n, small, large)
	}
}
