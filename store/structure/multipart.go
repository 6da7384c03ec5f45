package structure

import "bytes"

// multipart reads the body of a multipart entity (RFC 2046 §5.1.1): the
// preamble, the body parts between delimiters, the epilogue. It returns the
// stop that ends the whole multipart: the end of input or a delimiter of an
// enclosing multipart. Without a close delimiter the multipart simply ends
// where its enclosing body does.
func (p *parser) multipart(part *Part, depth int) stop {
	b, ok := param(part.Params, "boundary")
	if !ok || b == "" || len(b) > maxBoundaryLen {
		// No usable boundary: no parts can be found.
		return p.skipBody()
	}
	p.bounds = append(p.bounds, append([]byte("--"), b...))
	level := len(p.bounds) - 1
	defer func() { p.bounds = p.bounds[:level] }()

	// The preamble, up to the first delimiter, belongs to no part.
	st := p.skipBody()
	digest := part.Subtype == "digest"
	for st.kind == stopDelim && st.level == level {
		if p.parts >= maxParts {
			st = p.skipBody()
			continue
		}
		var child Part
		child, st = p.entity(entityOptions{depth: depth + 1, digest: digest})
		part.Children = append(part.Children, child)
	}
	if st.kind == stopClose && st.level == level {
		// The epilogue, after the close delimiter, belongs to no part.
		st = p.skipBody()
	}
	return st
}

// matchDelimiter reports whether l is a delimiter line for dashBoundary
// ("--" + boundary): stopDelim for "--boundary", stopClose for
// "--boundary--", each optionally followed by transport padding (RFC 2046
// §5.1.1), and stopEOF for any other line. The boundary must match
// exactly: "--b" followed by other text is body text, which keeps an inner
// boundary that extends an outer one from being mistaken for it.
func matchDelimiter(l line, dashBoundary []byte) stopKind {
	if !bytes.HasPrefix(l.text, dashBoundary) || !l.tailWS {
		return stopEOF
	}
	rest := l.text[len(dashBoundary):]
	kind := stopDelim
	if len(rest) >= 2 && rest[0] == '-' && rest[1] == '-' {
		kind, rest = stopClose, rest[2:]
	}
	if !allWS(rest) {
		return stopEOF
	}
	return kind
}
