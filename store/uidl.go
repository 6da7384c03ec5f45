package store

import (
	"fmt"
	"strconv"
	"strings"
)

// POP3 unique-id listings (RFC 1939 §7): "The unique-id of a message is an
// arbitrary server-determined string, consisting of one to 70 characters in
// the range 0x21 to 0x7E".

const maxUIDLLength = 70

// ValidateUIDL checks the RFC 1939 §7 syntax of a UIDL.
func ValidateUIDL(uidl string) error {
	if uidl == "" {
		return invalid(ErrInvalidUIDL, "empty UIDL")
	}
	if len(uidl) > maxUIDLLength {
		return invalid(ErrInvalidUIDL, "UIDL of %d characters, at most %d (RFC 1939 §7)", len(uidl), maxUIDLLength)
	}
	for i := 0; i < len(uidl); i++ {
		if c := uidl[i]; c < 0x21 || c > 0x7e {
			return invalid(ErrInvalidUIDL, "UIDL %q: byte 0x%02x at %d outside 0x21-0x7E (RFC 1939 §7)", uidl, c, i)
		}
	}
	return nil
}

// DefaultUIDLTemplate is Dovecot's default pop3_uidl_format: the UID, then
// the UIDVALIDITY, each as 8 lowercase hex digits. Using it keeps the UIDLs of
// mail delivered after a migration from Dovecot in the same scheme.
const DefaultUIDLTemplate = "%08Xu%08Xv"

// UIDLTemplate renders UIDLs for natively delivered messages. The syntax is a
// subset of Dovecot's variable expansion: %u (UID), %v (UIDVALIDITY) and %m
// (mailbox ID), each with an optional zero-padded width ("%08u") and an
// optional X for lowercase hex (Dovecot's %X is lowercase too); %% is a
// percent sign. Other characters are copied.
type UIDLTemplate struct {
	text  string
	parts []templatePart
}

type templatePart struct {
	literal string
	field   byte // 'u', 'v', 'm', or 0 for a literal
	width   int
	zero    bool
	hex     bool
}

// ParseUIDLTemplate parses and checks a template.
func ParseUIDLTemplate(text string) (UIDLTemplate, error) {
	t := UIDLTemplate{text: text}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, templatePart{literal: lit.String()})
			lit.Reset()
		}
	}
	hasUID := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '%' {
			if c < 0x21 || c > 0x7e {
				return t, invalid(ErrInvalidTemplate, "%q: byte 0x%02x is not allowed in a UIDL", text, c)
			}
			lit.WriteByte(c)
			continue
		}
		i++
		if i < len(text) && text[i] == '%' {
			lit.WriteByte('%')
			continue
		}
		p := templatePart{}
		if i < len(text) && text[i] == '0' {
			p.zero = true
			i++
		}
		start := i
		for i < len(text) && text[i] >= '0' && text[i] <= '9' {
			i++
		}
		if i > start {
			w, err := strconv.Atoi(text[start:i])
			if err != nil || w > 20 {
				return t, invalid(ErrInvalidTemplate, "%q: width %q too large", text, text[start:i])
			}
			p.width = w
		}
		if i < len(text) && (text[i] == 'X' || text[i] == 'x') {
			p.hex = true
			i++
		}
		if i >= len(text) {
			return t, invalid(ErrInvalidTemplate, "%q ends inside a %% variable", text)
		}
		switch text[i] {
		case 'u', 'v', 'm':
			p.field = text[i]
			hasUID = hasUID || p.field == 'u'
		default:
			return t, invalid(ErrInvalidTemplate, "%q: unknown variable %%%c (known: %%u %%v %%m)", text, text[i])
		}
		flush()
		t.parts = append(t.parts, p)
	}
	flush()
	if !hasUID {
		// Without the UID, two messages of one mailbox would share a UIDL.
		return t, invalid(ErrInvalidTemplate, "%q does not contain %%u", text)
	}
	return t, nil
}

// String returns the template's source text.
func (t UIDLTemplate) String() string { return t.text }

// Render expands the template for one message.
func (t UIDLTemplate) Render(uid UID, uidValidity uint32, mailbox MailboxID) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.field == 0 {
			b.WriteString(p.literal)
			continue
		}
		var v uint64
		switch p.field {
		case 'u':
			v = uint64(uid)
		case 'v':
			v = uint64(uidValidity)
		case 'm':
			v = uint64(mailbox)
		}
		base := 10
		if p.hex {
			base = 16
		}
		s := strconv.FormatUint(v, base)
		for pad := p.width - len(s); pad > 0; pad-- {
			if p.zero {
				b.WriteByte('0')
			} else {
				b.WriteByte('_') // a space is not allowed in a UIDL
			}
		}
		b.WriteString(s)
	}
	return b.String()
}

// uniqueUIDL returns the template's UIDL, or when that one is taken in the
// account (two mailboxes imported with the same UIDVALIDITY can collide), a
// variant with the mailbox ID appended. No client has cached a UIDL for a
// message that is being stored now, so any unique value is correct.
func uniqueUIDL(base string, mailbox MailboxID, taken func(string) (bool, error)) (string, error) {
	candidate := base
	for i := 0; i < 16; i++ {
		used, err := taken(candidate)
		if err != nil {
			return "", err
		}
		if !used && len(candidate) <= maxUIDLLength {
			return candidate, nil
		}
		candidate = fmt.Sprintf("%s-%x-%d", base, uint64(mailbox), i)
		if len(candidate) > maxUIDLLength {
			candidate = fmt.Sprintf("m%x-%x-%d", uint64(mailbox), hashString(base), i)
		}
	}
	return "", fmt.Errorf("finding a unique UIDL for %q: %w", base, ErrUIDLExists)
}

func hashString(s string) uint32 {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
