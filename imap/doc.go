// Package imap serves IMAP4rev1 and IMAP4rev2 on the store, with
// github.com/emersion/go-imap/v2's imapserver as the protocol engine (it
// parses commands and writes responses; everything it leaves to the
// backend — GO-IMAP-NOTES — is done here).
//
// RFCs implemented (docs/rfc-index.md has the status and deviations):
//
//   - RFC 3501 IMAP4rev1 and RFC 9051 IMAP4rev2: every command
//   - RFC 2177 IDLE, RFC 2342 NAMESPACE, RFC 3348 CHILDREN
//   - RFC 3516 BINARY (content-transfer decoding only, no charset conversion)
//   - RFC 3691 UNSELECT, RFC 4315 UIDPLUS, RFC 4731 ESEARCH, RFC 5161 ENABLE
//   - RFC 5182 SEARCHRES, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS
//   - RFC 6154 SPECIAL-USE and CREATE-SPECIAL-USE, RFC 6851 MOVE
//   - RFC 6855 UTF8=ACCEPT, RFC 7888 LITERAL+, RFC 7889 APPENDLIMIT
//   - RFC 8437 UNAUTHENTICATE, RFC 8438 STATUS=SIZE
//   - RFC 4959 SASL-IR and RFC 4616 PLAIN for AUTHENTICATE
//   - RFC 5530 response codes
//
// Implementation notes (the package's invariants):
//
//   - One session per connection (session.go); one file per command family.
//     imapserver runs a connection's commands one at a time; IDLE runs in a
//     goroutine of its own, and so does the view's event drain, which is why
//     the selected view has a mutex.
//   - Each selected session keeps its own view of the mailbox (view.go): the
//     UIDs in sequence order, the flags (as IDs into an interned table) and
//     MODSEQ of every message as last synchronised, and how many messages
//     the client has been told of: 16 bytes a message. INTERNALDATE and size,
//     which never change for a UID, are read from the store's shared
//     in-memory index when needed (store.IndexReader). The view is fed by
//     the store's change events (store.Subscribe), which the store publishes
//     in commit order per account, whoever the writer is: another IMAP
//     session, POP3, delivery, the importer, the admin CLI through the
//     server. imapserver's MailboxTracker is not used: it must be fed by
//     every writer, in commit order, in-process, and would duplicate the
//     store's own ordered event stream; driving the view from the store's
//     events makes every writer visible with no extra wiring.
//   - A session subscribes before it reads the SELECT snapshot; events that
//     the snapshot already contains are recognised by UID (adds) and MODSEQ
//     (flag changes) and skipped.
//   - Events are applied to the view as they are published, by a goroutine
//     per selected session (view.drain; commands hold the view's mutex, so
//     it applies them between commands), and at the start of each command
//     (so answers reflect the current state); they are reported in Poll, after the
//     command: EXPUNGE only where RFC 9051 §7.5.1 allows (not after FETCH,
//     STORE or SEARCH: an expunged message stays in the view, marked, until
//     it can be reported), then FLAGS, EXISTS and FETCH FLAGS. IDLE reports
//     as soon as the store publishes. A session's own flag changes update the
//     view directly and are not echoed back.
//   - "*" and "$" are resolved against the view (numset.go); only messages
//     the client has been told of are addressable.
//   - FETCH reads FLAGS and UID from the view, INTERNALDATE and RFC822.SIZE
//     from the store's index (a message gone from it is left out),
//     ENVELOPE, BODYSTRUCTURE and section offsets from the structure the
//     store computed at ingest, and streams section bytes from the stored
//     message (never rebuilt, so BODY[] is exactly RFC822.SIZE bytes,
//     malformed mail included). SEARCH answers sequence, UID, flag, date,
//     size and MODSEQ criteria from the view and the store's index, and
//     opens a message only for header, body and sent-date criteria.
//   - Nothing here holds a store lock while writing to a socket: the store
//     takes its locks inside its calls, and publishes to in-memory queues.
//   - Authentication policy: a connection may log in when it is TLS,
//     loopback, or Options.AllowInsecureAuth is set. imapserver decides by a
//     type assertion on *tls.Conn, so Server runs two engines that differ in
//     InsecureAuth and hands each accepted connection to the one its policy
//     calls for; LOGINDISABLED, [PRIVACYREQUIRED] and STARTTLS are then the
//     library's, exactly where the policy says.
package imap
