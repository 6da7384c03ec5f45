// Package pop3 serves POP3 on the store: the maildrop is the account's
// INBOX, and the UIDLs it lists are the stored ones, byte for byte, so that
// a "leave mail on server" client that was synchronised against the legacy
// server finds nothing new after a migration.
//
// RFCs implemented (status and deviations in docs/rfc-index.md):
//   - RFC 1939 POP3: USER PASS STAT LIST RETR DELE NOOP RSET QUIT TOP UIDL.
//     APOP is not offered: it needs the plaintext secret on the server and
//     the store keeps only argon2id hashes, so the greeting carries no
//     timestamp and APOP is refused with a reason.
//   - RFC 2449 extension mechanism: CAPA, response codes, PIPELINING.
//   - RFC 3206 response codes [AUTH], [SYS/TEMP], [SYS/PERM], [IN-USE].
//   - RFC 5034 AUTH (SASL), mechanism PLAIN (RFC 4616), with initial response.
//   - RFC 2595 §4 STLS, when Options.TLSConfig is set.
//
// The maildrop snapshot (RFC 1939 §5: message numbers are fixed for the
// session) is taken at login. Its order is the POP3 order: messages that
// carry a POP3 order from an import (Message.POP3Order > 0) come first,
// sorted by that order (ties by UID), then all others by UID. So an imported
// maildrop is numbered as the legacy server numbered it, and mail delivered
// since follows in arrival order.
//
// Implementation notes (the package's invariants):
//   - One dispatch table (commands in state.go) maps each command to its
//     handler and the states it is allowed in; the command loop checks the
//     state before any handler runs. Handlers never check the state.
//   - Handlers return errors. *Error carries the RFC 2449/3206 response code
//     and is written as "-ERR [CODE] text" in exactly one place, the command
//     loop (session.respondError); any other error is logged and answered
//     with a generic "-ERR [SYS/TEMP]".
//   - DELE only marks. The store is changed only in the UPDATE state after
//     QUIT (RFC 1939 §6), through store.Expunge, whose change event tells
//     IMAP sessions. A session that ends any other way changes nothing.
//   - Exclusive access (RFC 1939 §8): the Server holds one lock per account
//     in memory (the store is opened by one process only); a session holds it
//     from login until it ends, however it ends.
//   - Lock order: Server.mu, then session.mu. Neither is held while
//     writing to a connection or calling the store (under them a connection
//     only gets a deadline or is closed).
//   - Message bytes are streamed from store.OpenMessage through
//     net/textproto's DotWriter; no message is ever held whole in memory.
package pop3
