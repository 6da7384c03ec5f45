// Package loadgen is the load generator behind "ferrymail bench": a number
// of concurrent clients, each logged in as one of a set of accounts, run
// for a fixed time against any IMAP or POP3 server, and every command's
// latency is recorded. Runs with the same flags and seed send the same
// commands in the same order (the plan of each client is drawn from the
// seed alone, never from the server's answers), so that two servers, or
// two builds of one, are compared on the same work.
//
// IMAP (RFC 9051, RFC 3501) goes through go-imap v2's imapclient, a client
// written independently of our server. The scenario is a session mix in
// the spirit of Dovecot's imaptest: LOGIN, SELECT, UID FETCH 1:* (FLAGS),
// then a weighted random mix (Mix) of body fetches, flag changes, APPEND,
// EXPUNGE, IDLE (RFC 2177) and NOOP, then LOGOUT.
//
// POP3 (RFC 1939; STLS per RFC 2595) goes through the small client in
// pop3client.go. Two scenarios: a full drop (USER/PASS, UIDL, RETR of every
// message, QUIT, nothing deleted, so that the next round finds the same
// mail) and leave-on-server polling (USER/PASS, UIDL, QUIT).
//
// Load fills accounts through APPEND with generated messages (Message):
// the same bytes for the same seed, so that two servers hold identical
// mail before they are measured.
//
// Latencies go into fixed-size histograms (Histogram): memory does not
// grow with the run's length.
package loadgen
