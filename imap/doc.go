// Package imap will serve IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051)
// sessions on github.com/emersion/go-imap/v2's imapserver, backed by the
// store. It is not written yet (issue 3): this file fixes its place in the
// layout of DESIGN.md, where arrows point cmd → server → imap → store.
package imap
