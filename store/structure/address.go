package structure

import "strings"

// parseAddressList parses an RFC 5322 §3.4 address-list, with the obsolete
// forms of §4.4, into IMAP address elements. It is written here rather than
// taken from net/mail, which drops groups and fails the whole list on one
// bad address: here a bad element is skipped and parsing goes on after the
// next comma.
func parseAddressList(s string) []Address {
	p := addrParser{toks: lexAddresses(s)}
	for p.i < len(p.toks) {
		if t := p.toks[p.i]; t.is(',') || t.is(';') {
			p.i++ // empty element or stray group terminator
			continue
		}
		p.element(false)
	}
	return p.out
}

type addrParser struct {
	toks []token
	i    int
	out  []Address
}

// element parses one group or mailbox starting at p.i, which is not a
// separator, and leaves p.i on the separator after it.
func (p *addrParser) element(inGroup bool) {
	// RFC 5322 §3.4: group = display-name ":" [group-list] ";". A ':' before
	// any other special tells a group from a mailbox (whose ':' can only
	// appear inside <> in an obsolete route). Groups do not nest.
	if !inGroup {
		for j := p.i; j < len(p.toks); j++ {
			if t := p.toks[j]; t.kind == tokSpecial {
				if t.is(':') {
					p.group(j)
					return
				}
				break
			}
		}
	}
	end := p.mailboxEnd(p.i)
	p.mailbox(p.toks[p.i:end])
	p.i = end
}

// group parses a group whose ':' is at colon. RFC 9051 §7.5.2: a group is
// sent as a start marker holding its name, its members, and an end marker.
// A missing ';' ends the group at the end of the list.
func (p *addrParser) group(colon int) {
	p.out = append(p.out, Address{Kind: AddressGroupStart, Name: phrase(p.toks[p.i:colon])})
	p.i = colon + 1
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		if t.is(';') {
			p.i++
			break
		}
		if t.is(',') {
			p.i++
			continue
		}
		p.element(true)
	}
	p.out = append(p.out, Address{Kind: AddressGroupEnd})
}

// mailboxEnd returns the index of the separator ending the mailbox that
// starts at i (always > i), or len(toks).
func (p *addrParser) mailboxEnd(i int) int {
	inAngle := false
	closed := 0 // index after the last '>', 0 if none
	for j := i; j < len(p.toks); j++ {
		t := p.toks[j]
		if t.kind != tokSpecial {
			continue
		}
		switch t.text[0] {
		case '<':
			if inAngle {
				return j // the previous '<' was never closed
			}
			if closed > 0 {
				return closed // "A <a@x> B <b@y>": a comma is missing
			}
			inAngle = true
		case '>':
			inAngle = false
			closed = j + 1
		case ',':
			// RFC 5322 §4.4 obs-route "<@a,@b:user@host>": inside <> a
			// comma followed by '@' continues the route.
			if inAngle && j+1 < len(p.toks) && p.toks[j+1].is('@') {
				continue
			}
			return j
		case ';':
			return j
		}
	}
	return len(p.toks)
}

// mailbox parses one mailbox (RFC 5322 §3.4: name-addr / addr-spec) from
// its tokens and appends it, unless it has neither local part nor domain.
func (p *addrParser) mailbox(ts []token) {
	var a Address
	comment := ""
	if lt := indexSpecial(ts, '<'); lt >= 0 {
		a.Name = phrase(ts[:lt])
		gt := len(ts) // without '>', the rest is the address
		if j := indexSpecial(ts[lt+1:], '>'); j >= 0 {
			gt = lt + 1 + j
		}
		a.Adl, a.Mailbox, a.Host = angleAddr(ts[lt+1 : gt])
		comment = lastComment(ts[:lt])
		if gt < len(ts) {
			comment = firstNonEmpty(lastComment(ts[gt:]), comment)
		}
	} else {
		a.Mailbox, a.Host = addrSpec(ts)
		comment = lastComment(ts)
	}
	if a.Mailbox == "" && a.Host == "" {
		// Nothing to address (junk, or "<>"): dropped so the elements
		// around it survive.
		return
	}
	if a.Name == "" {
		// A comment after a bare address is, by old convention, the name:
		// "joe@example.org (Joe)".
		a.Name = comment
	}
	p.out = append(p.out, a)
}

// firstNonEmpty returns the first non-empty string.
func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// angleAddr parses the inside of "<...>", with the RFC 5322 §4.4 obs-route
// "@a,@b:" returned as adl.
func angleAddr(ts []token) (adl, local, host string) {
	if len(ts) > 0 && ts[0].is('@') {
		if c := indexSpecial(ts, ':'); c >= 0 {
			var b strings.Builder
			for _, t := range ts[:c] {
				if t.kind != tokComment {
					b.WriteString(t.text)
				}
			}
			adl = b.String()
			ts = ts[c+1:]
		}
	}
	local, host = addrSpec(ts)
	return adl, local, host
}

// addrSpec splits "local@domain" at the first '@'. RFC 5322 §4.4 allows
// CFWS around the dots of both halves, so the words are joined without it;
// the local part loses its quoting as RFC 9051 addr-mailbox requires. With
// no '@' the whole is a bare local part ("To: root").
func addrSpec(ts []token) (local, host string) {
	at := indexSpecial(ts, '@')
	if at < 0 {
		return joinWords(ts), ""
	}
	return joinWords(ts[:at]), joinWords(ts[at+1:])
}

// joinWords concatenates the atoms and quoted-strings of ts, skipping
// comments and stray specials.
func joinWords(ts []token) string {
	var b strings.Builder
	for _, t := range ts {
		if t.kind == tokAtom || t.kind == tokQuoted {
			b.WriteString(t.text)
		}
	}
	return b.String()
}

// phrase renders a display name (RFC 5322 §3.2.5 phrase, obs-phrase):
// words separated by one space where the header had whitespace, quotes
// removed, comments dropped, encoded words kept as they are. Stray specials
// are kept so that "joe@x.org <joe@x.org>" keeps its name.
func phrase(ts []token) string {
	var b strings.Builder
	for _, t := range ts {
		if t.kind == tokComment {
			continue
		}
		if b.Len() > 0 && t.sp {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return trimWS(b.String())
}

func indexSpecial(ts []token, c byte) int {
	for i, t := range ts {
		if t.is(c) {
			return i
		}
	}
	return -1
}

func lastComment(ts []token) string {
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].kind == tokComment && ts[i].text != "" {
			return ts[i].text
		}
	}
	return ""
}
