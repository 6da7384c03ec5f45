package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrymail/ferrymail/internal/testcert"
)

func TestParseTLSMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want TLSMode
	}{{"", TLSNone}, {"none", TLSNone}, {"starttls", TLSStartTLS}, {"implicit", TLSImplicit}} {
		got, err := ParseTLSMode(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseTLSMode(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if tc.in != "" && got.String() != tc.in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tc.in)
		}
	}
	for _, bad := range []string{"tls", "STARTTLS", "ssl", " none"} {
		if _, err := ParseTLSMode(bad); err == nil {
			t.Errorf("ParseTLSMode(%q) took it", bad)
		}
	}
	if s := TLSMode(9).String(); s != "TLSMode(9)" {
		t.Errorf("an unknown mode prints as %q", s)
	}
}

func TestReadPasswordFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct{ name, content, want string }{
		{"lf", "s3cret\nsecond line\n", "s3cret"},
		{"crlf", "s3cret\r\nsecond\r\n", "s3cret"},
		{"no line end", "s3cret", "s3cret"},
		{"spaces kept", " s3 cret \n", " s3 cret "},
	} {
		got, err := ReadPasswordFile(write(tc.name, tc.content))
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	for _, empty := range []string{"", "\n", "\r\npassword on line two\n"} {
		p := write("empty", empty)
		_, err := ReadPasswordFile(p)
		if !errors.Is(err, ErrEmptyPassword) || err.Error() != "password file "+p+": the first line is empty" {
			t.Errorf("file %q: err = %v, want ErrEmptyPassword naming the file", empty, err)
		}
	}
	if _, err := ReadPasswordFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: err = %v, want os.ErrNotExist", err)
	}
}

// TestDial connects to real listeners on 127.0.0.1: in plain text, and
// with implicit TLS to a self-signed server, which is refused unless
// insecure is asked for.
func TestDial(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	serverConf, _ := testcert.Pair(t)

	// echo serves one connection: it reads a line of 4 bytes and writes it back.
	echo := func(ln net.Listener) {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err == nil {
			c.Write(buf)
		}
	}
	roundTrip := func(c net.Conn) error {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			return err
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		if string(buf) != "ping" {
			return errors.New("echo gave " + string(buf))
		}
		return nil
	}

	t.Run("none", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go echo(ln)
		c, conf, err := Dial(ctx, nil, ln.Addr().String(), TLSNone, false)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, ok := c.(*tls.Conn); ok {
			t.Error("mode none gave a TLS connection")
		}
		if conf.ServerName != "127.0.0.1" || conf.InsecureSkipVerify {
			t.Errorf("TLS config for a later STARTTLS: ServerName %q, insecure %v", conf.ServerName, conf.InsecureSkipVerify)
		}
		if err := roundTrip(c); err != nil {
			t.Fatal(err)
		}
	})
	for _, insecure := range []bool{false, true} {
		name := map[bool]string{false: "implicit, verified", true: "implicit, insecure"}[insecure]
		t.Run(name, func(t *testing.T) {
			ln, err := tls.Listen("tcp", "127.0.0.1:0", serverConf)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go echo(ln)
			c, _, err := Dial(ctx, nil, ln.Addr().String(), TLSImplicit, insecure)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, ok := c.(*tls.Conn); !ok {
				t.Fatal("mode implicit gave no TLS connection")
			}
			err = roundTrip(c)
			var unknown x509.UnknownAuthorityError
			switch {
			case insecure && err != nil:
				t.Fatalf("insecure: %v", err)
			case !insecure && !errors.As(err, &unknown):
				t.Fatalf("a self-signed certificate was not refused: err = %v", err)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if _, _, err := Dial(ctx, nil, addr, TLSNone, false); err == nil {
			t.Fatal("dialled a closed port")
		}
	})
	t.Run("own dialler", func(t *testing.T) {
		var asked string
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			asked = network + " " + addr
			return nil, errors.New("no network here")
		}
		if _, _, err := Dial(ctx, dial, "192.0.2.1:110", TLSImplicit, false); err == nil || err.Error() != "no network here" {
			t.Fatalf("err = %v, want the dialler's own", err)
		}
		if asked != "tcp 192.0.2.1:110" {
			t.Fatalf("the dialler was asked for %q", asked)
		}
	})
}
