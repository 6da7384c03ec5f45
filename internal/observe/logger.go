package observe

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Log formats (ferrymail serve --log-format, [log] format).
const (
	LogText = "text" // slog.TextHandler: key=value, one line per record
	LogJSON = "json" // slog.JSONHandler: one JSON object per line
)

// NewLogger returns the server's logger: format is LogText or LogJSON
// ("" means text), level is debug, info, warn or error ("" means info).
// Durations are written as Go duration strings in text ("1.2ms") and as
// fractional seconds in JSON, so that log processors get a number.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if level == "" {
		level = "info"
	}
	if err := lv.UnmarshalText([]byte(level)); err != nil || strings.ContainsAny(level, "+-") {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "", LogText:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case LogJSON:
		opts.ReplaceAttr = durationSeconds
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// durationSeconds writes a time.Duration attribute as seconds (a JSON
// number) rather than slog's default nanoseconds, which readers mistake.
func durationSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key, a.Value.Duration().Seconds())
	}
	return a
}
