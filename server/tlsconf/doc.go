// Package tlsconf provides the server's TLS configuration: a certificate
// loaded from PEM files and swapped atomically on reload (SIGHUP), so that
// sessions in progress keep their connections and new ones get the new
// certificate; a self-signed certificate made once in the data directory
// when TLS is asked for without files; and the SHA-256 fingerprint that is
// logged for either, so that a user can check what their client shows.
//
// RFCs: RFC 8314 §3.3 (implicit TLS for IMAP and POP3), RFC 2595 (STARTTLS
// and STLS), RFC 9051 §6.2.1 (STARTTLS), RFC 8996 (TLS 1.0 and 1.1
// deprecated: MinVersion is TLS 1.2).
package tlsconf
