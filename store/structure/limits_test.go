package structure

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDeepNesting(t *testing.T) {
	var b strings.Builder
	const n = 100
	for i := range n {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("\r\nleaf\r\n")
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	in := b.String()
	m, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkStructure(m, []byte(in)); err != nil {
		t.Fatal(err)
	}
	depth := 0
	for p := &m.Body; len(p.Children) > 0; p = &p.Children[0] {
		depth++
	}
	if depth != maxDepth {
		t.Errorf("got depth %d, want %d", depth, maxDepth)
	}
	if err := roundTrip(m); err != nil {
		t.Error(err)
	}
}

func TestDeepMessageNesting(t *testing.T) {
	in := strings.Repeat("Content-Type: message/rfc822\r\n\r\n", 100) + "body\r\n"
	m, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkStructure(m, []byte(in)); err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(m); err != nil {
		t.Error(err)
	}
}

func TestManyParts(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=x\r\n\r\n")
	for range maxParts + 100 {
		b.WriteString("--x\r\n\r\np\r\n")
	}
	b.WriteString("--x--\r\n")
	in := b.String()
	m, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(m.Body.Children), maxParts-1; got != want {
		t.Errorf("got %d children, want %d", got, want)
	}
	if err := checkStructure(m, []byte(in)); err != nil {
		t.Fatal(err)
	}
}

func TestLongHeaderAndLines(t *testing.T) {
	subject := strings.Repeat("s", 1<<20)
	body := strings.Repeat("b", 200<<10)
	in := "Subject: " + subject + "\r\nTo: " + strings.Repeat("x", 100<<10) + "@y\r\n\r\n" + body + "\r\n"
	m, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	// The cap applies to the line as read, name included.
	if got, want := len(m.Envelope.Subject), maxFieldLen-len("Subject: "); got != want {
		t.Errorf("got subject of %d bytes, want %d", got, want)
	}
	if got, want := m.Body.Size(), int64(len(body)+2); got != want {
		t.Errorf("got size %d, want %d", got, want)
	}
	if err := checkStructure(m, []byte(in)); err != nil {
		t.Fatal(err)
	}
}

// TestSmallBuffer parses every table input with lines straddling buffer
// refills and one-byte reads, which must not change the result.
func TestSmallBuffer(t *testing.T) {
	for _, tc := range parseTests {
		want, err := Parse(strings.NewReader(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := parse(iotest.OneByteReader(strings.NewReader(tc.in)), 16)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameStructure(got, want); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("Subject: x\r\n\r\nbody"), iotest.ErrReader(boom))
	if _, err := Parse(r); !errors.Is(err, boom) {
		t.Errorf("got %v, want %v", err, boom)
	}
}

// TestEveryPrefix parses every prefix of every table input, in CRLF and
// bare-LF form: each cut is some unterminated message, and each must give
// a valid structure that round-trips.
func TestEveryPrefix(t *testing.T) {
	for _, tc := range parseTests {
		for _, in := range []string{tc.in, strings.ReplaceAll(tc.in, "\r\n", "\n")} {
			for n := range len(in) + 1 {
				m, err := Parse(strings.NewReader(in[:n]))
				if err != nil {
					t.Fatal(err)
				}
				if err := checkStructure(m, []byte(in[:n])); err != nil {
					t.Fatalf("%s, first %d bytes: %v", tc.name, n, err)
				}
				if err := roundTrip(m); err != nil {
					t.Fatalf("%s, first %d bytes: %v", tc.name, n, err)
				}
			}
		}
	}
}
