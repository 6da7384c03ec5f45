package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Records are encoded with a small hand-written binary codec: a version byte,
// then fields as uvarints and length-prefixed strings, in a fixed order.
// It is several times faster and smaller than encoding/gob or JSON on the hot
// path (listing the UIDs and flags of a large mailbox decodes every record).
// A new field is appended at the end and read only when present, so that
// older records decode without a migration.

// errShortRecord reports a record that ends before its fields do.
var errShortRecord = errors.New("record truncated")

type encoder struct{ b []byte }

func (e *encoder) byte(v byte)      { e.b = append(e.b, v) }
func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) bytes(v []byte) {
	e.uvarint(uint64(len(v)))
	e.b = append(e.b, v...)
}
func (e *encoder) string(v string) {
	e.uvarint(uint64(len(v)))
	e.b = append(e.b, v...)
}
func (e *encoder) strings(v []string) {
	e.uvarint(uint64(len(v)))
	for _, s := range v {
		e.string(s)
	}
}
func (e *encoder) bool(v bool) {
	if v {
		e.byte(1)
	} else {
		e.byte(0)
	}
}

// decoder reads what encoder wrote. It keeps the first error (sticky) so that
// a record's decode function reads all fields and checks once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) done() bool { return len(d.b) == 0 }

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail(errShortRecord)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShortRecord)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShortRecord)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint32() uint32 {
	v := d.uvarint()
	if v > math.MaxUint32 {
		d.fail(fmt.Errorf("value %d overflows 32 bits", v))
		return 0
	}
	return uint32(v)
}

func (d *decoder) length() int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail(errShortRecord)
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.length()
	if d.err != nil {
		return nil
	}
	v := append([]byte(nil), d.b[:n]...)
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.length()
	if d.err != nil {
		return ""
	}
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}

func (d *decoder) strings() []string {
	n := d.length() // each string takes at least one byte, so n <= len(d.b)
	if d.err != nil || n == 0 {
		return nil
	}
	v := make([]string, 0, n)
	for range n {
		v = append(v, d.string())
	}
	return v
}

func (d *decoder) bool() bool { return d.byte() != 0 }

// version checks the leading format version byte.
func (d *decoder) version(what string, want byte) {
	if v := d.byte(); d.err == nil && v != want {
		d.fail(fmt.Errorf("%s record: format version %d, want %d", what, v, want))
	}
}
