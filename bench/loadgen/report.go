package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// Row is one command's figures. Latencies are in milliseconds.
type Row struct {
	Op     Op      `json:"op"`
	Count  uint64  `json:"count"`
	PerSec float64 `json:"per_sec"`
	Errors uint64  `json:"errors"`
	P50    float64 `json:"p50_ms"`
	P90    float64 `json:"p90_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

// Report is what one run measured.
type Report struct {
	Scenario Scenario `json:"scenario"`
	Server   string   `json:"server"`
	Clients  int      `json:"clients"`
	Users    int      `json:"users"`
	Seed     uint64   `json:"seed"`
	Seconds  float64  `json:"seconds"`        // the measured window
	Rate     float64  `json:"rate,omitempty"` // the commands/s cap, 0 for a closed loop
	Rows     []Row    `json:"rows"`           // one per command, in the order of rowOrder
	Total    Row      `json:"total"`          // every command but SESSION
	// BytesPerSec is message data received (FETCH-BODY, RETR) per second.
	BytesPerSec float64 `json:"bytes_per_sec"`
}

// rowOrder is the order of the table: a session's commands as they come.
var rowOrder = []Op{OpSession, OpConnect, OpLogin, OpPOP3Login, OpSelect, OpFetchFlags, OpFetchBody, OpStore, OpDelete,
	OpAppend, OpExpunge, OpIdle, OpNoop, OpUIDL, OpRetr, OpLogout, OpQuit}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func newRow(op Op, h *Histogram, errors uint64, secs float64) Row {
	return Row{Op: op, Count: h.Count(), PerSec: float64(h.Count()) / secs, Errors: errors,
		P50: ms(h.Quantile(0.50)), P90: ms(h.Quantile(0.90)), P99: ms(h.Quantile(0.99)), Max: ms(h.Max())}
}

func newReport(cfg *Config, recs []*recorder, measured time.Duration) *Report {
	secs := max(measured.Seconds(), 1e-3)
	rep := &Report{Scenario: cfg.Scenario, Server: cfg.Addr, Clients: cfg.Clients, Users: len(cfg.Users), Seed: cfg.Seed, Seconds: secs, Rate: cfg.Rate}
	hists := map[Op]*Histogram{}
	errors := map[Op]uint64{}
	var total Histogram
	var totalErrors, bytes uint64
	for _, r := range recs {
		for op, h := range r.hists {
			if hists[op] == nil {
				hists[op] = new(Histogram)
			}
			hists[op].Merge(h)
			if op != OpSession {
				total.Merge(h)
			}
		}
		for op, n := range r.errors {
			errors[op] += n
			if op != OpSession {
				totalErrors += n
			}
		}
		bytes += r.bytes
	}
	for _, op := range rowOrder {
		h := hists[op]
		if h == nil && errors[op] == 0 {
			continue
		}
		if h == nil {
			h = new(Histogram)
		}
		rep.Rows = append(rep.Rows, newRow(op, h, errors[op], secs))
	}
	rep.Total = newRow("TOTAL", &total, totalErrors, secs)
	rep.BytesPerSec = float64(bytes) / secs
	return rep
}

// Errors returns the number of failed commands.
func (r *Report) Errors() uint64 { return r.Total.Errors + r.Row(OpSession).Errors }

// Row returns the row of op (a zero Row when there is none).
func (r *Report) Row(op Op) Row {
	if i := slices.IndexFunc(r.Rows, func(x Row) bool { return x.Op == op }); i >= 0 {
		return r.Rows[i]
	}
	return Row{Op: op}
}

// WriteTable prints the report as a table.
func (r *Report) WriteTable(w io.Writer) error {
	pacing := "closed loop"
	if r.Rate > 0 {
		pacing = fmt.Sprintf("at most %g commands/s", r.Rate)
	}
	fmt.Fprintf(w, "%s against %s: %d clients as %d accounts, %s, seed %d, %.1f s measured\n",
		r.Scenario, r.Server, r.Clients, r.Users, pacing, r.Seed, r.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "command\tcount\tper s\terrors\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	for _, row := range append(slices.Clone(r.Rows), r.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t\n",
			row.Op, row.Count, row.PerSec, row.Errors, row.P50, row.P90, row.P99, row.Max)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "message data received: %.2f MB/s\n", r.BytesPerSec/1e6)
	return err
}

// WriteJSON prints the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
