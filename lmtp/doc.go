// Package lmtp delivers mail into the store over LMTP, the protocol that
// Postfix, Exim and other MTAs use to hand messages to a mailbox server.
//
// Standards:
//   - RFC 2033 (LMTP): LHLO, and one reply per accepted recipient after the
//     end of DATA (§4.2), so that one recipient's failure does not fail
//     the others.
//   - RFC 5321 (SMTP), which LMTP inherits: MAIL, RCPT, DATA, RSET, NOOP,
//     QUIT; the Return-Path added at final delivery (§4.4).
//   - RFC 3463 (enhanced status codes): 5.1.1 unknown user, 4.3.0 store
//     failure, 5.3.4 message too big.
//   - RFC 1870 (SIZE), advertised by go-smtp from Options.MaxMessageSize.
//
// The wire protocol is github.com/emersion/go-smtp's server in LMTP mode;
// this package is its backend. It maps recipient addresses to accounts
// (see AccountFor), adds the trace headers Dovecot's LMTP adds, and
// delivers into each recipient's INBOX with store.Append, which assigns
// the UID and the UIDL from the template and publishes the MessageAdded
// event that IMAP IDLE sessions and POP3 see.
//
// Implementation notes:
//   - A message for one recipient is streamed from the connection into
//     the store; it is never held in memory whole. A message for several
//     recipients is spooled once to an unlinked temporary file and
//     delivered from there to each, because each copy gets its own
//     Delivered-To header.
//   - A 250 for a recipient is sent only after store.Append returned, when
//     the message is durable (store.Options.NoSync aside).
//   - The message body is never logged.
package lmtp
