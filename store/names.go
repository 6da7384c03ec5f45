package store

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mailbox names: a hierarchy of components separated by "/", stored in UTF-8
// (protocol layers convert from modified UTF-7, RFC 3501 §5.1.3, or accept
// UTF-8 with UTF8=ACCEPT, RFC 6855). "INBOX" is case-insensitive in any case
// (RFC 9051 §5.1) and always stored as "INBOX", also as a hierarchy prefix.

// HierarchySeparator separates the levels of a mailbox name.
const HierarchySeparator = "/"

const (
	// maxMailboxNameLength bounds a whole name in bytes; Dovecot's limit is
	// similar, and clients and file-system based legacy servers never get near it.
	maxMailboxNameLength = 1000
	// maxMailboxComponentLength is the common file-system limit of one name
	// component: Maildir++ and mbox sources cannot have longer ones either.
	maxMailboxComponentLength = 255
	// maxMailboxDepth bounds the number of levels, to keep LIST and RENAME bounded.
	maxMailboxDepth = 40
)

// CanonicalMailboxName validates name and returns its stored spelling.
func CanonicalMailboxName(name string) (string, error) {
	if name == "" {
		return "", invalid(ErrInvalidMailboxName, "empty name")
	}
	if len(name) > maxMailboxNameLength {
		return "", invalid(ErrInvalidMailboxName, "name of %d bytes, at most %d", len(name), maxMailboxNameLength)
	}
	if !utf8.ValidString(name) {
		return "", invalid(ErrInvalidMailboxName, "name %q is not valid UTF-8", name)
	}
	parts := strings.Split(name, HierarchySeparator)
	if len(parts) > maxMailboxDepth {
		return "", invalid(ErrInvalidMailboxName, "%d levels, at most %d", len(parts), maxMailboxDepth)
	}
	for i, p := range parts {
		if p == "" {
			return "", invalid(ErrInvalidMailboxName, "name %q has an empty level", name)
		}
		if len(p) > maxMailboxComponentLength {
			return "", invalid(ErrInvalidMailboxName, "a level of %d bytes, at most %d", len(p), maxMailboxComponentLength)
		}
		for _, r := range p {
			switch {
			case r == '%' || r == '*':
				// RFC 9051 §5.1: wildcards in names make LIST ambiguous.
				return "", invalid(ErrInvalidMailboxName, "name %q contains the LIST wildcard %q", name, r)
			case unicode.IsControl(r) || r == unicode.ReplacementChar:
				return "", invalid(ErrInvalidMailboxName, "name %q contains control character %U", name, r)
			}
		}
		if i == 0 && strings.EqualFold(p, InboxName) {
			parts[0] = InboxName
		}
	}
	return strings.Join(parts, HierarchySeparator), nil
}

// parentNames returns the names of all ancestors of name, outermost first.
func parentNames(name string) []string {
	var out []string
	for i := 0; i < len(name); i++ {
		if name[i] == HierarchySeparator[0] {
			out = append(out, name[:i])
		}
	}
	return out
}

// isChildOf reports whether name lies below parent in the hierarchy.
func isChildOf(name, parent string) bool {
	return len(name) > len(parent)+1 && strings.HasPrefix(name, parent) && name[len(parent)] == HierarchySeparator[0]
}

// validSpecialUse checks an RFC 6154 §2 attribute.
func validSpecialUse(s string) error {
	switch s {
	case "", SpecialAll, SpecialArchive, SpecialDrafts, SpecialFlagged, SpecialJunk, SpecialSent, SpecialTrash:
		return nil
	}
	return invalid(ErrInvalidSpecialUse, "%q is not an RFC 6154 attribute", s)
}

// Account names are login names: printable, no white space, bounded.
const maxAccountNameLength = 255

func validateAccountName(name string) error {
	if name == "" {
		return invalid(ErrInvalidAccountName, "empty name")
	}
	if len(name) > maxAccountNameLength {
		return invalid(ErrInvalidAccountName, "name of %d bytes, at most %d", len(name), maxAccountNameLength)
	}
	if !utf8.ValidString(name) {
		return invalid(ErrInvalidAccountName, "name %q is not valid UTF-8", name)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return invalid(ErrInvalidAccountName, "name %q contains %U", name, r)
		}
	}
	return nil
}
