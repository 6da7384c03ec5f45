package observe

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestNewLoggerJSON(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, LogJSON, "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hidden")
	log.Info("imap command", "cmd", "LOGIN", "duration", 1500*time.Millisecond, "outcome", OK)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1 (debug is below info):\n%s", len(lines), buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, lines[0])
	}
	if got, want := rec["duration"], 1.5; got != want {
		t.Errorf("duration: got %v (%T), want %v seconds", got, got, want)
	}
	if rec["cmd"] != "LOGIN" || rec["outcome"] != "ok" || rec["msg"] != "imap command" {
		t.Errorf("record: got %v", rec)
	}
}

func TestNewLoggerText(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "", "")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("pop3 command", "cmd", "STAT", "duration", 2*time.Millisecond)
	if got := buf.String(); !strings.Contains(got, "cmd=STAT duration=2ms") {
		t.Errorf("text line: got %q", got)
	}
}

func TestNewLoggerLevels(t *testing.T) {
	for _, tc := range []struct {
		level   string
		debug   bool
		warn    bool
		wantErr bool
	}{
		{"debug", true, true, false},
		{"info", false, true, false},
		{"warn", false, true, false},
		{"error", false, false, false},
		{"WARN", false, true, false},
		{"verbose", false, false, true},
		{"info+2", false, false, true},
	} {
		var buf bytes.Buffer
		log, err := NewLogger(&buf, LogText, tc.level)
		if (err != nil) != tc.wantErr {
			t.Errorf("level %q: error %v, want error %v", tc.level, err, tc.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		log.Debug("d")
		log.Warn("w")
		out := buf.String()
		if got := strings.Contains(out, "msg=d"); got != tc.debug {
			t.Errorf("level %q: debug logged %v, want %v", tc.level, got, tc.debug)
		}
		if got := strings.Contains(out, "msg=w"); got != tc.warn {
			t.Errorf("level %q: warn logged %v, want %v", tc.level, got, tc.warn)
		}
	}
	if _, err := NewLogger(&bytes.Buffer{}, "xml", "info"); err == nil {
		t.Error("format xml: no error")
	}
}
