package structure

// contentFields fills the MIME fields of part from its header.
func (p *parser) contentFields(part *Part, h *header, digest bool) {
	typ, sub, ps, ok := parseContentType(h.get(fContentType))
	switch {
	case ok:
		part.Type, part.Subtype, part.Params = typ, sub, ps
	case digest:
		// RFC 2046 §5.1.5: in a digest the default is message/rfc822.
		part.Type, part.Subtype = "message", "rfc822"
	default:
		// RFC 2045 §5.2: "Content-type: text/plain; charset=us-ascii" is
		// assumed when Content-Type is absent or unparseable.
		part.Type, part.Subtype, part.Params = "text", "plain", defaultTextParams()
	}
	// RFC 2045 §6.1: the encoding is case-insensitive, 7bit by default.
	part.Encoding = toLowerASCII(h.get(fContentTransferEncoding))
	if part.Encoding == "" {
		part.Encoding = "7bit"
	}
	part.ID = h.get(fContentID)
	part.Description = h.get(fContentDescription)
	part.MD5 = h.get(fContentMD5)
	part.Location = h.get(fContentLocation)
	part.Disposition, part.DispositionParams = parseDisposition(h.get(fContentDisposition))
	part.Language = parseLanguage(h.get(fContentLanguage))
}

func defaultTextParams() []Param {
	return []Param{{Name: "charset", Value: "us-ascii"}}
}
