// Package limits holds the bookkeeping behind Ferrymail's connection and
// login limits, shared by the IMAP, POP3 and LMTP servers: how many
// connections one remote address or one user has open (Counter), and which
// addresses have failed to log in too often of late (LoginLimiter).
//
// It is pure: no sockets, no protocol text, no goroutines. Time comes from
// an injectable clock so that tests step it instead of sleeping. Every
// type is safe for concurrent use, and a nil *Counter or *LoginLimiter
// limits nothing, so that servers built without limits (tests, the zero
// Options) need no special case.
//
// The protocol answers live with the protocols: IMAP "* BYE" at the
// greeting and "NO [LIMIT]" / "NO [UNAVAILABLE]" at login (RFC 5530 §3),
// POP3 "-ERR [SYS/TEMP]" (RFC 3206 §4), LMTP "421" (RFC 5321 §3.8).
// Loopback is not exempt: a local webmail or proxy that funnels many users
// through 127.0.0.1 needs larger limits, not an exception in the code.
package limits
