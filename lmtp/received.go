package lmtp

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"strings"
	"time"
)

// receivedHeader is the Received: trace line (RFC 5321 §4.4) added to each
// recipient's copy, as Dovecot's LMTP adds it (src/lmtp/lmtp-local.c):
//
//	Received: from mx.example.org ([192.0.2.1])
//		by ferry.example.org with LMTP
//		id 8d1c…
//		(envelope-from <sender@example.net>)
//		for <alice+lists@example.org>; Sun, 22 Nov 2026 05:00:00 +0000
//
// "from" carries the LHLO name and the peer's IP address in brackets (the
// TCP-info of RFC 5321 §4.4; left out for a Unix-socket peer), "with LMTP"
// is the protocol (the RFC 3848 registry has LMTP), "id" the transaction's
// id as logged, and "for" the recipient, since each copy has exactly one
// (RFC 5321 §4.4 advises "for" only then). The date is RFC 5322 §3.3.
//
// The LHLO name and the addresses come from the client: they are cleaned
// (headerSafe) so that nothing they hold can end the header or start
// another.
func receivedHeader(lhlo string, peer net.Addr, by, id, from, rcpt string, now time.Time) string {
	var b strings.Builder
	b.WriteString("Received: from ")
	b.WriteString(headerSafe(lhlo, "unknown"))
	if ip := peerIP(peer); ip != "" {
		b.WriteString(" ([" + ip + "])")
	}
	b.WriteString("\r\n\tby " + headerSafe(by, "localhost") + " with LMTP")
	b.WriteString("\r\n\tid " + headerSafe(id, "unknown"))
	b.WriteString("\r\n\t(envelope-from <" + headerSafe(from, "") + ">)")
	b.WriteString("\r\n\tfor <" + headerSafe(rcpt, "") + ">; ")
	b.WriteString(now.Format(time.RFC1123Z))
	b.WriteString("\r\n")
	return b.String()
}

// peerIP is the IP address of a TCP peer, "IPv6:"-prefixed for IPv6 as
// RFC 5321 §4.1.3 writes address literals; "" for anything else.
func peerIP(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || ta.IP == nil {
		return ""
	}
	if ip4 := ta.IP.To4(); ip4 != nil {
		return ip4.String()
	}
	return "IPv6:" + ta.IP.String()
}

// maxHeaderField bounds one client-supplied value in the header: RFC 5321
// §4.5.3.1 allows 255 octets for a domain and 256 for a path.
const maxHeaderField = 256

// headerSafe returns s fit for a header field: control characters
// (CR and LF above all), parentheses and backslashes (which would open or
// close a comment) become "?", and it is cut to maxHeaderField bytes at a
// character boundary. Other bytes, UTF-8 included (RFC 6532), stay. An
// empty result is replaced by empty.
func headerSafe(s, empty string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len()+len(string(r)) > maxHeaderField {
			break
		}
		switch {
		case r < 0x20 || r == 0x7f || r == '(' || r == ')' || r == '\\' || r == '\uFFFD':
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return empty
	}
	return b.String()
}

// newTransactionID returns a random id for one LMTP transaction, shown in
// the Received: header and logged, so that a message is traced from the
// MTA's log to ours.
func newTransactionID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}
