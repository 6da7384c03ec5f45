package config

import (
	"fmt"
	"time"
)

// Duration is a TOML string such as "10m" or "1h30m" (time.ParseDuration).
// A value that does not parse is kept, not refused while decoding, so that
// Validate can report it along with every other problem of the file.
type Duration struct {
	time.Duration
	text string // as written, for error messages
	err  error  // from time.ParseDuration
}

// NewDuration returns d as a Duration (for defaults and flags).
func NewDuration(d time.Duration) Duration {
	return Duration{Duration: d, text: d.String()}
}

// UnmarshalText implements encoding.TextUnmarshaler for the TOML decoder.
func (d *Duration) UnmarshalText(b []byte) error {
	d.text = string(b)
	d.Duration, d.err = time.ParseDuration(d.text)
	return nil
}

// MarshalText writes the duration as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.Duration.String()), nil
}

// check returns the problem with d, if any: it does not parse, or it is
// negative (no limit or timeout in the configuration can be).
func (d Duration) check() string {
	switch {
	case d.err != nil:
		return fmt.Sprintf("%q is not a duration (write it like \"30s\", \"10m\" or \"1h\")", d.text)
	case d.Duration < 0:
		return fmt.Sprintf("%q is negative", d.text)
	}
	return ""
}
