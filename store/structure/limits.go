package structure

// Limits on what Parse keeps and how deep it descends. Mail comes from
// strangers: every one of these bounds memory or time against a hostile
// message, and each is far above what real mail needs.
const (
	// maxFieldLen caps the kept value of one header field. A legitimate
	// To: with hundreds of recipients fits; a 1 GB header line does not
	// become a 1 GB string.
	maxFieldLen = 64 << 10

	// maxKeptHeaderBytes caps the header values kept over the whole message,
	// all parts together, so that 5000 parts each with 64 KiB fields cannot
	// turn into a stored structure of hundreds of megabytes.
	maxKeptHeaderBytes = 4 << 20

	// maxHeaderFields is how many fields of one header block are looked
	// at. Later fields are skipped (the header is still read to its end).
	maxHeaderFields = 10000

	// maxDepth is the deepest nesting of multiparts and encapsulated
	// messages that is descended into; deeper entities are opaque leaves.
	// It also bounds the recursion of Parse and UnmarshalBinary.
	maxDepth = 32

	// maxParts is the most entities created for one message; later body
	// parts of a multipart are skipped and later multiparts and messages
	// become opaque leaves. 5000 is well above any real message.
	maxParts = 5000

	// maxBoundaryLen is the longest boundary parameter used. RFC 2046
	// §5.1.1 allows 70 characters; longer ones are accepted up to this
	// limit because some generators exceed it.
	maxBoundaryLen = 256

	// bodyLineKeep is how much of each body line is kept to look for a
	// delimiter: "--", the boundary, "--" and some transport padding. The
	// rest of the line is only checked for being whitespace.
	bodyLineKeep = 2 + maxBoundaryLen + 2 + 64

	// readBufferSize is the bufio buffer; lines up to this length are
	// looked at without copying.
	readBufferSize = 16 << 10
)
