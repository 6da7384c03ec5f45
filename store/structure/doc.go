// Package structure computes, once when a message is stored, everything an
// IMAP server needs to answer FETCH ENVELOPE, BODYSTRUCTURE and
// BODY[section] without reading the message again: the envelope fields and
// the MIME tree with the absolute byte offsets of every part. The result is
// serialised with MarshalBinary and kept next to the message.
//
// RFCs implemented:
//
//   - RFC 5322 §2.2, §3.4, §3.6, §4.4: header fields, unfolding, address
//     lists with groups and the obsolete forms (source routes, CFWS around
//     dots, bare local parts).
//   - RFC 2045 §5, §6: Content-Type with its defaults, Content-Transfer-Encoding.
//   - RFC 2046 §5.1, §5.2: multipart bodies (delimiters, preamble, epilogue,
//     nesting, the multipart/digest default) and message/rfc822.
//   - RFC 2047: encoded words are recognised as atoms and kept raw; decoding
//     them is the client's job.
//   - RFC 2183: Content-Disposition and its parameters.
//   - RFC 3282: Content-Language.
//   - RFC 6532 §3.7: message/global is handled like message/rfc822.
//   - RFC 9051 §6.4.5 (part numbering) and §7.5.2 (ENVELOPE, BODYSTRUCTURE
//     fields such as body-fld-lines).
//
// Implementation notes:
//
//   - Parse never rejects a message. Whatever the input, it returns a
//     structure whose offsets satisfy 0 <= HeaderStart <= BodyStart <= End
//     <= len(message), with children inside their parent's body and in order.
//     The only errors are read errors.
//   - Parse streams: it holds one header line (capped) and the header fields
//     it keeps (capped, see limits.go); bodies are scanned line by line.
//   - Content-Type is honoured whether or not MIME-Version is present, as
//     most receivers do.
//   - UnmarshalBinary checks the same invariants, so a stored structure that
//     decodes can be trusted by the IMAP layer.
package structure
