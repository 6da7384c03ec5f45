package structure

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
)

// crlf joins lines with CRLF and ends the last one with CRLF too.
func crlf(lines ...string) string {
	return strings.Join(lines, "\r\n") + "\r\n"
}

// lf is crlf for bare-LF input.
func lf(lines ...string) string {
	return strings.Join(lines, "\n") + "\n"
}

// countLines counts lines as RFC 9051 body-fld-lines does: line
// terminators, plus one for a non-empty last line without one.
func countLines(b []byte) int64 {
	n := int64(bytes.Count(b, []byte("\n")))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

// checkStructure returns the first broken invariant of a parsed message of
// the given input, or nil.
func checkStructure(m *Message, input []byte) error {
	n := int64(len(input))
	if m.Body.HeaderStart != 0 {
		return fmt.Errorf("top-level HeaderStart %d, want 0", m.Body.HeaderStart)
	}
	var walk func(p *Part, path string, depth int) error
	walk = func(p *Part, path string, depth int) error {
		if depth > maxDepth {
			return fmt.Errorf("part %s: depth %d > %d", path, depth, maxDepth)
		}
		if !(0 <= p.HeaderStart && p.HeaderStart <= p.BodyStart && p.BodyStart <= p.End && p.End <= n) {
			return fmt.Errorf("part %s: offsets %d %d %d, input %d bytes", path, p.HeaderStart, p.BodyStart, p.End, n)
		}
		if got, want := p.Lines, countLines(input[p.BodyStart:p.End]); got != want {
			return fmt.Errorf("part %s: got %d lines, want %d", path, got, want)
		}
		if p.Type == "" || p.Subtype == "" || p.Encoding == "" {
			return fmt.Errorf("part %s: empty type %q/%q or encoding %q", path, p.Type, p.Subtype, p.Encoding)
		}
		if len(p.Children) > 0 && p.Type != "multipart" {
			return fmt.Errorf("part %s: %s/%s has children", path, p.Type, p.Subtype)
		}
		prevEnd := p.BodyStart
		for i := range p.Children {
			c := &p.Children[i]
			cpath := fmt.Sprintf("%s.%d", path, i+1)
			if c.HeaderStart < prevEnd || c.End > p.End {
				return fmt.Errorf("part %s: [%d,%d) outside parent body [%d,%d) or before previous sibling end %d", cpath, c.HeaderStart, c.End, p.BodyStart, p.End, prevEnd)
			}
			prevEnd = c.End
			if err := walk(c, cpath, depth+1); err != nil {
				return err
			}
		}
		if p.Message != nil {
			if !p.isMessage() {
				return fmt.Errorf("part %s: %s/%s has a message", path, p.Type, p.Subtype)
			}
			b := &p.Message.Body
			if b.HeaderStart != p.BodyStart || b.End != p.End {
				return fmt.Errorf("part %s: message [%d,%d), part body [%d,%d)", path, b.HeaderStart, b.End, p.BodyStart, p.End)
			}
			if err := walk(b, path+".msg", depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(&m.Body, "top", 0)
}

// roundTrip marshals and unmarshals m and reports any difference.
func roundTrip(m *Message) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return fmt.Errorf("marshal: %w", err)
	}
	var got Message
	if err := got.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("unmarshal: %w", err)
	}
	if !reflect.DeepEqual(&got, m) {
		return fmt.Errorf("round trip: got %+v, want %+v", got, *m)
	}
	return nil
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// sameStructure reports whether two parses agree.
func sameStructure(got, want *Message) error {
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("got %+v, want %+v", *got, *want)
	}
	return nil
}
