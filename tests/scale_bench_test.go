package tests

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestScaleSmall runs the scale benchmark (bench/scale, issue 8) end to end
// at a small size: the generated mailbox loaded into Ferrymail (the built
// binary) and Dovecot, every figure measured on both, the IDLE connections
// opened. Timings are printed, never asserted; what is asserted is that
// both servers answer every command and find the same messages for the
// header and body searches. The 1,000,000-message run is not for CI:
// `go run ./bench/scale` (docs/benchmarks.md, "Scale").
func TestScaleSmall(t *testing.T) {
	needDovecot(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./bench/scale", "-n", "3000", "-idle", "20", "-selected-idle", "2",
		"-repeats", "1", "-settle", "1s", "-timeout", "2m", "-ferrymail", binary)
	cmd.Dir = root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run ./bench/scale: %v\n%s\n%s", err, out, stderr.String())
	}
	t.Logf("\n%s", out)
	var matches []string
	for _, line := range strings.Split(string(out), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 6 {
			continue
		}
		name, ferry, dove := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2]), strings.TrimSpace(cells[3])
		if ferry == "-" || dove == "-" {
			t.Errorf("row %q lacks a figure: Ferrymail %q, Dovecot %q", name, ferry, dove)
		}
		if name == "matches" {
			if ferry != dove {
				t.Errorf("search after row %d: Ferrymail found %s messages, Dovecot %s", len(matches), ferry, dove)
			}
			matches = append(matches, ferry)
		}
	}
	if len(matches) != 2 {
		t.Fatalf("%d match rows in the table, want 2 (header and body search):\n%s", len(matches), out)
	}
	if matches[1] == "0" {
		t.Errorf("the body search found nothing; the generator puts %q in 1 message in 100", "frobnicate")
	}
}
