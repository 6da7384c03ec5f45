package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// Figure is one measured quantity of one command in one scenario, for two
// servers: the median over the rounds of each, and their ratio A/B.
type Figure struct {
	Scenario Scenario `json:"scenario"`
	Op       Op       `json:"op"`
	Metric   string   `json:"metric"` // "ops/s", "p50 ms" or "p99 ms"
	A        float64  `json:"a"`
	B        float64  `json:"b"`
	Ratio    float64  `json:"ratio"` // A/B; 0 when B is 0
	// ABetter tells whether A did better: a higher rate, a lower latency.
	ABetter bool `json:"a_better"`
}

// Comparison is two servers' reports, round by round, side by side.
type Comparison struct {
	LabelA, LabelB string
	RoundsA        int
	RoundsB        int
	Figures        []Figure
	ErrorsA        uint64
	ErrorsB        uint64
}

// metrics are the figures compared for each command.
var metrics = []struct {
	name         string
	of           func(Row) float64
	higherBetter bool
}{
	{"ops/s", func(r Row) float64 { return r.PerSec }, true},
	{"p50 ms", func(r Row) float64 { return r.P50 }, false},
	{"p99 ms", func(r Row) float64 { return r.P99 }, false},
}

// Compare lines up the reports of two servers (any number of rounds of
// any scenarios each) and takes, for every figure, the median over the
// rounds: the machines are noisy, and a median ignores one bad round.
func Compare(labelA string, a []*Report, labelB string, b []*Report) *Comparison {
	c := &Comparison{LabelA: labelA, LabelB: labelB}
	for _, r := range a {
		c.ErrorsA += r.Errors()
	}
	for _, r := range b {
		c.ErrorsB += r.Errors()
	}
	scenarios := []Scenario{ScenarioIMAP, ScenarioPOP3Drop, ScenarioPOP3Poll}
	for _, sc := range scenarios {
		ra, rb := ofScenario(a, sc), ofScenario(b, sc)
		if len(ra) == 0 || len(rb) == 0 {
			continue
		}
		c.RoundsA, c.RoundsB = max(c.RoundsA, len(ra)), max(c.RoundsB, len(rb))
		for _, op := range append(slices.Clone(rowOrder), "TOTAL") {
			if !hasOp(ra, op) || !hasOp(rb, op) {
				continue
			}
			for _, m := range metrics {
				f := Figure{Scenario: sc, Op: op, Metric: m.name, A: median(ra, op, m.of), B: median(rb, op, m.of)}
				if f.B != 0 {
					f.Ratio = f.A / f.B
				}
				if m.higherBetter {
					f.ABetter = f.A > f.B
				} else {
					f.ABetter = f.A < f.B
				}
				c.Figures = append(c.Figures, f)
			}
		}
	}
	return c
}

func ofScenario(rs []*Report, sc Scenario) []*Report {
	var out []*Report
	for _, r := range rs {
		if r.Scenario == sc {
			out = append(out, r)
		}
	}
	return out
}

func rowOf(r *Report, op Op) (Row, bool) {
	if op == "TOTAL" {
		return r.Total, r.Total.Count > 0
	}
	row := r.Row(op)
	return row, row.Count > 0
}

func hasOp(rs []*Report, op Op) bool {
	return slices.ContainsFunc(rs, func(r *Report) bool { _, ok := rowOf(r, op); return ok })
}

// median of a figure over the reports (a round without the command counts
// as 0).
func median(rs []*Report, op Op, of func(Row) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		row, _ := rowOf(r, op)
		v[i] = of(row)
	}
	slices.Sort(v)
	if n := len(v); n%2 == 1 {
		return v[n/2]
	} else {
		return (v[n/2-1] + v[n/2]) / 2
	}
}

// WriteTable prints the comparison as one table.
func (c *Comparison) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "median of %d rounds (%s) and %d rounds (%s); ratio = %s/%s\n",
		c.RoundsA, c.LabelA, c.RoundsB, c.LabelB, c.LabelA, c.LabelB)
	fmt.Fprintf(w, "ops/s: higher is better; latencies: lower is better. Failed commands: %s %d, %s %d\n",
		c.LabelA, c.ErrorsA, c.LabelB, c.ErrorsB)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\tcommand\tfigure\t%s\t%s\tratio\tbetter\n", c.LabelA, c.LabelB)
	for _, f := range c.Figures {
		better := c.LabelB
		switch {
		case f.A == f.B:
			better = "="
		case f.ABetter:
			better = c.LabelA
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%s\n", f.Scenario, f.Op, f.Metric, f.A, f.B, f.Ratio, better)
	}
	return tw.Flush()
}

// WriteJSON prints the comparison as one JSON object.
func (c *Comparison) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// ReadReport reads a report written by Report.WriteJSON.
func ReadReport(r io.Reader) (*Report, error) {
	var rep Report
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("reading a bench report: %w", err)
	}
	if rep.Scenario == "" {
		return nil, fmt.Errorf("reading a bench report: no scenario")
	}
	return &rep, nil
}
