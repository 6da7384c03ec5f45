package imap

import (
	"io"
	"mime/quotedprintable"

	"github.com/emersion/go-imap/v2"

	"github.com/ferrymail/ferrymail/store/structure"
)

// BINARY (RFC 3516, RFC 9051 §6.4.5): the content-transfer-decoded bytes of
// a part, with no charset conversion (imapserver's helper converts
// charsets, GO-IMAP-NOTES §4). The size must be known before the literal,
// so a section is decoded twice, streaming, rather than held in memory.

var errUnknownCTE = errNo(imap.ResponseCodeUnknownCTE, "Unknown Content-Transfer-Encoding") // RFC 3516 §4.3

// binarySource returns a function opening the decoded bytes of a part.
func binarySource(r io.ReaderAt, size int64, st *structure.Message, part []int) (func() io.Reader, error) {
	if len(part) == 0 {
		return func() io.Reader { return io.NewSectionReader(r, 0, size) }, nil
	}
	p := st.Part(part)
	if p == nil {
		return func() io.Reader { return eofReader{} }, nil
	}
	raw := func() io.Reader { return io.NewSectionReader(r, p.BodyStart, p.End-p.BodyStart) }
	if p.Type == "multipart" || p.Message != nil {
		return raw, nil
	}
	switch p.Encoding {
	case "", "7bit", "8bit", "binary":
		return raw, nil
	case "base64":
		return func() io.Reader { return newBase64Decoder(raw()) }, nil
	case "quoted-printable":
		return func() io.Reader { return tolerant{quotedprintable.NewReader(raw())} }, nil
	}
	return nil, errUnknownCTE
}

// decodedSize counts the bytes a decoder yields.
func decodedSize(open func() io.Reader) (int64, error) {
	return io.Copy(io.Discard, open())
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// tolerant ends a decoded stream at the first decoding error: malformed
// mail is served as far as it decodes, the same way on both passes.
type tolerant struct{ r io.Reader }

func (t tolerant) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		if _, isRead := err.(interface{ Timeout() bool }); !isRead {
			err = io.EOF
		}
	}
	return n, err
}

// base64Decoder decodes base64 leniently (RFC 2045 §6.8: "any characters
// outside of the base64 alphabet are to be ignored"), stopping at padding.
type base64Decoder struct {
	r    io.Reader
	in   [4096]byte
	acc  uint32
	bits int
	out  []byte
	done bool
}

func newBase64Decoder(r io.Reader) *base64Decoder { return &base64Decoder{r: r} }

var b64val = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = int8(i)
	}
	return t
}()

func (d *base64Decoder) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.done {
			return 0, io.EOF
		}
		n, err := d.r.Read(d.in[:])
		buf := d.out[:0]
		for _, c := range d.in[:n] {
			if c == '=' {
				d.done = true
				break
			}
			v := b64val[c]
			if v < 0 {
				continue
			}
			d.acc = d.acc<<6 | uint32(v)
			d.bits += 6
			if d.bits >= 8 {
				d.bits -= 8
				buf = append(buf, byte(d.acc>>d.bits))
			}
		}
		d.out = buf
		if err == io.EOF {
			d.done = true
		} else if err != nil {
			return 0, err
		}
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}
