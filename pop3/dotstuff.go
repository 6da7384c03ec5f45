package pop3

import (
	"bufio"
	"bytes"
)

// dotStuffer is textproto's DotWriter done in runs rather than byte by
// byte: RFC 1939 §3 byte-stuffing of lines that start with ".", bare LF
// written as CRLF, and ".\r\n" at Close (after a CRLF if the data did not
// end with one). textproto writes every byte with its own WriteByte, which
// was 63% of the server's CPU in a POP3 full-drop benchmark
// (docs/benchmarks.md); this writes the runs between line ends. Unlike
// textproto's, Close does not flush: the session flushes before it reads
// the next command, so pipelined RETRs share writes. A differential test
// and fuzz target hold it to textproto's output.
type dotStuffer struct {
	w   *bufio.Writer
	any bool // something was written
	mid bool // inside a line
	cr  bool // the last byte written was '\r'
}

func (d *dotStuffer) Write(p []byte) (int, error) {
	n := len(p)
	d.any = d.any || n > 0
	for len(p) > 0 {
		if !d.mid && p[0] == '.' {
			d.w.WriteByte('.')
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			d.w.Write(p)
			d.mid, d.cr = true, p[len(p)-1] == '\r'
			break
		}
		line := p[:i]
		d.w.Write(line)
		if (i == 0 && !d.cr) || (i > 0 && line[i-1] != '\r') {
			d.w.WriteByte('\r')
		}
		if err := d.w.WriteByte('\n'); err != nil {
			return n - len(p), err
		}
		d.mid, d.cr = false, false
		p = p[i+1:]
	}
	return n, nil
}

func (d *dotStuffer) Close() error {
	if d.mid || !d.any { // as textproto: even an empty message ends its (empty) line
		if d.cr {
			d.w.WriteString("\n")
		} else {
			d.w.WriteString("\r\n")
		}
	}
	_, err := d.w.WriteString(".\r\n")
	return err
}
