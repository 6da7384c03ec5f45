package structure

// Message is the structure of one message: its envelope and its MIME tree.
type Message struct {
	Envelope Envelope
	Body     Part // the top-level part; Body.HeaderStart is 0 for the top-level message
}

// Envelope holds the fields of IMAP's ENVELOPE (RFC 9051 §7.5.2) as they
// appear in the header: unfolded (CRLF before WSP removed), surrounding
// whitespace trimmed, NOT RFC 2047-decoded (clients decode encoded words
// themselves). An empty string means absent. Sender and ReplyTo are what the
// header says (empty when absent); defaulting them to From is the IMAP
// layer's job.
type Envelope struct {
	Date, Subject                      string
	From, Sender, ReplyTo, To, Cc, Bcc []Address
	InReplyTo, MessageID               string
}

// AddressKind tells an ordinary mailbox from the markers around a group.
type AddressKind uint8

const (
	AddressMailbox    AddressKind = iota // an ordinary mailbox
	AddressGroupStart                    // RFC 5322 group start: Name holds the display name of the group ("undisclosed-recipients")
	AddressGroupEnd                      // end of the group
)

// Address is one element of an IMAP address list (RFC 9051 §7.5.2
// "addr-name addr-adl addr-mailbox addr-host"). A group becomes GroupStart,
// its members, GroupEnd, so "undisclosed-recipients:;" is exactly
// GroupStart{Name: "undisclosed-recipients"}, GroupEnd.
type Address struct {
	Kind AddressKind
	// Name is the display name with quotes removed and quoted-pairs
	// unescaped; encoded words are kept as they are. For a bare addr-spec
	// followed by a comment ("joe@x.org (Joe)") it is the comment.
	Name string
	// Adl is the obsolete source route ("@a,@b") or "".
	Adl string
	// Mailbox is the local part with RFC 5322 quoting removed, as RFC 9051
	// §9 asks of addr-mailbox ("holds [RFC-5322] local-part after removing
	// [RFC-5322] quoting").
	Mailbox string
	// Host is the domain, or "" for a bare local part such as "To: root".
	Host string
}

// Param is one Content-Type or Content-Disposition parameter. Order is kept
// as in the header; RFC 2231 continuations are left raw.
type Param struct{ Name, Value string }

// Part is one MIME entity (RFC 2045, RFC 2046). Offsets are absolute byte
// offsets in the whole message.
type Part struct {
	// HeaderStart is the first byte of this part's header.
	HeaderStart int64
	// BodyStart is the first byte of the body, just after the blank line
	// ending the header, so the header with its blank line is
	// [HeaderStart, BodyStart). Without a blank line it is End.
	BodyStart int64
	// End is one past the last body byte. For a part inside a multipart
	// the CRLF before the next delimiter belongs to the delimiter (RFC 2046
	// §5.1.1), not to the part.
	End int64
	// Lines is the number of lines in the body (RFC 9051 body-fld-lines).
	Lines int64

	// Type and Subtype are lower-cased, with the RFC 2045 §5.2 and RFC 2046
	// §5.1.5 defaults applied.
	Type, Subtype string
	// Params are the Content-Type parameters, names lower-cased. When the
	// default text/plain applies they are [{charset us-ascii}].
	Params []Param
	// ID, Description, Encoding, MD5 and Location are the raw, unfolded and
	// trimmed Content-ID, Content-Description, Content-Transfer-Encoding
	// (lower-cased, default "7bit"), Content-MD5 and Content-Location.
	ID, Description, Encoding, MD5, Location string
	// Disposition is the Content-Disposition type, lower-cased ("" = absent).
	Disposition       string
	DispositionParams []Param
	// Language is Content-Language split on commas (RFC 3282).
	Language []string

	// Children are the body parts of a multipart. A multipart without a
	// usable boundary or without parts has none.
	Children []Part
	// Message is the encapsulated message of a message/rfc822 or
	// message/global part; its Body.HeaderStart equals this part's
	// BodyStart. It is nil when the part was too deep or one too many to be
	// descended into, and when the part is base64 or quoted-printable
	// encoded (RFC 2046 §5.2.1 forbids that; it cannot be read without
	// decoding). The IMAP layer then describes it as a basic part.
	Message *Message
}
