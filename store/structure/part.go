package structure

// Size returns the size of the body in bytes (RFC 9051 body-fld-octets).
func (p *Part) Size() int64 { return p.End - p.BodyStart }

// Part returns the part a section path like IMAP's "1.2.3" names (1-based
// indexes), or nil if there is none. RFC 9051 §6.4.5: "Every message has at
// least one part number. Non-[MIME-IMB] messages, and non-multipart
// [MIME-IMB] messages with no encapsulated message, only have a part 1." A
// message/rfc822 part's subparts are numbered by descending into its
// encapsulated message, whose body is again numbered like a message.
func (m *Message) Part(path []int) *Part {
	if len(path) == 0 {
		return nil
	}
	cur := &m.Body
	atMessage := true // cur is the body of a message, not yet indexed into
	for i, n := range path {
		switch {
		case cur.Type == "multipart":
			if n < 1 || n > len(cur.Children) {
				return nil
			}
			cur = &cur.Children[n-1]
		case atMessage && n == 1:
			// A non-multipart message's only part is its body.
		default:
			return nil
		}
		atMessage = false
		if cur.Message != nil && i < len(path)-1 {
			cur, atMessage = &cur.Message.Body, true
		}
	}
	return cur
}
