package server

import (
	"slices"
	"testing"
)

// TestWantsTLS: when the server makes or loads a certificate. The zero
// Options must not: that is today's plain loopback server.
func TestWantsTLS(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want bool
	}{
		{"zero", Options{}, false},
		{"STARTTLS off alone", Options{TLS: TLSOptions{StartTLS: StartTLSOff}}, false},
		{"certificate files", Options{TLS: TLSOptions{CertFile: "c.pem", KeyFile: "k.pem"}}, true},
		{"IMAPS", Options{IMAPSAddr: "127.0.0.1:0"}, true},
		{"POP3S", Options{POP3SAddr: "127.0.0.1:0"}, true},
		{"POP3S with STARTTLS off", Options{POP3SAddr: "127.0.0.1:0", TLS: TLSOptions{StartTLS: StartTLSOff}}, true},
		{"STARTTLS on", Options{TLS: TLSOptions{StartTLS: StartTLSOn}}, true},
	} {
		if got := New(tc.opts).wantsTLS(); got != tc.want {
			t.Errorf("%s: wantsTLS() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestCertHosts: a self-signed certificate names the specific listen
// hosts, not the wildcard ones.
func TestCertHosts(t *testing.T) {
	s := New(Options{IMAPAddr: "192.0.2.1:143", POP3Addr: "0.0.0.0:110", IMAPSAddr: "[::]:993", POP3SAddr: "mail.example.org:995"})
	hosts := s.certHosts()
	for _, want := range []string{"192.0.2.1", "mail.example.org"} {
		if !slices.Contains(hosts, want) {
			t.Errorf("certHosts() = %v, want %s among them", hosts, want)
		}
	}
	for _, unwanted := range []string{"0.0.0.0", "::", ""} {
		if slices.Contains(hosts, unwanted) {
			t.Errorf("certHosts() = %v, has the wildcard %q", hosts, unwanted)
		}
	}
}
