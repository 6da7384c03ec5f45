// Package pop3 will serve POP3 (RFC 1939, 2449, 2595, 3206, 5034) on the
// store, serving the stored UIDLs byte for byte. It is not written yet
// (issue 4): this file fixes its place in the layout of DESIGN.md.
package pop3
