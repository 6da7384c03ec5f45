package store

import (
	"strings"
)

// Flags and keywords (RFC 9051 §2.3.2). System flags are stored as bits and
// always spelled canonically; keywords keep the case in which they were first
// given to the mailbox and match case-insensitively ("flag names are not
// case-sensitive", RFC 9051 §2.3.2).

type systemFlags uint8

const (
	sysSeen systemFlags = 1 << iota
	sysAnswered
	sysFlagged
	sysDeleted
	sysDraft
)

var systemFlagNames = []struct {
	bit  systemFlags
	name string
}{
	{sysSeen, FlagSeen},
	{sysAnswered, FlagAnswered},
	{sysFlagged, FlagFlagged},
	{sysDeleted, FlagDeleted},
	{sysDraft, FlagDraft},
}

// maxKeywordLength bounds one keyword; clients use short names ($Junk,
// $Forwarded, $label1) and a bound keeps message records small.
const maxKeywordLength = 250

// maxKeywordsPerMailbox bounds the mailbox's keyword registry, which is part of
// the mailbox record and sent in every FLAGS response.
const maxKeywordsPerMailbox = 1000

// equalFold is ASCII case folding: flags are ASCII atoms, and unicode folding
// would match things IMAP does not consider equal.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// systemFlag returns the bit of a system flag name, or 0.
func systemFlag(name string) systemFlags {
	for _, f := range systemFlagNames {
		if equalFold(f.name, name) {
			return f.bit
		}
	}
	return 0
}

// validateKeyword checks flag-keyword = atom (RFC 9051 §9: ATOM-CHAR is any
// CHAR except atom-specials).
func validateKeyword(kw string) error {
	if kw == "" {
		return invalid(ErrInvalidFlag, "empty flag")
	}
	if len(kw) > maxKeywordLength {
		return invalid(ErrInvalidFlag, "flag of %d bytes, at most %d", len(kw), maxKeywordLength)
	}
	for i := 0; i < len(kw); i++ {
		c := kw[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return invalid(ErrInvalidFlag, "flag %q: character %q not allowed in an atom", kw, c)
		}
	}
	return nil
}

// parsedFlags is a set of flags split into system bits and keywords.
type parsedFlags struct {
	sys      systemFlags
	keywords []string // as given, deduplicated case-insensitively
}

// parseFlags validates flags as given by a client or a source. A backslash
// flag other than the five system flags is refused (\Recent is a session
// property, RFC 9051 §2.3.2, and is never stored).
func parseFlags(flags []string) (parsedFlags, error) {
	var p parsedFlags
	for _, f := range flags {
		if strings.HasPrefix(f, `\`) {
			bit := systemFlag(f)
			if bit == 0 {
				return p, invalid(ErrInvalidFlag, "%q is not a storable system flag", f)
			}
			p.sys |= bit
			continue
		}
		if err := validateKeyword(f); err != nil {
			return p, err
		}
		if !containsFold(p.keywords, f) {
			p.keywords = append(p.keywords, f)
		}
	}
	return p, nil
}

func containsFold(list []string, s string) bool {
	return indexFold(list, s) >= 0
}

func indexFold(list []string, s string) int {
	for i, v := range list {
		if equalFold(v, s) {
			return i
		}
	}
	return -1
}

// canonicalKeywords maps keywords to the mailbox registry's spelling, adding
// the new ones to the registry. It reports whether the registry grew.
func canonicalKeywords(registry *[]string, keywords []string) ([]string, bool, error) {
	if len(keywords) == 0 {
		return nil, false, nil
	}
	out := make([]string, 0, len(keywords))
	grew := false
	for _, kw := range keywords {
		if i := indexFold(*registry, kw); i >= 0 {
			out = append(out, (*registry)[i])
			continue
		}
		if len(*registry) >= maxKeywordsPerMailbox {
			return nil, false, invalid(ErrTooManyKeywords, "mailbox already has %d keywords", len(*registry))
		}
		*registry = append(*registry, kw)
		out = append(out, kw)
		grew = true
	}
	return out, grew, nil
}

// splitFlags turns stored flags (already canonical) into bits and keywords.
func splitFlags(flags []string) (systemFlags, []string) {
	var sys systemFlags
	var kw []string
	for _, f := range flags {
		if bit := systemFlag(f); bit != 0 {
			sys |= bit
		} else {
			kw = append(kw, f)
		}
	}
	return sys, kw
}

// joinFlags is the inverse of splitFlags: system flags first, in a fixed order.
func joinFlags(sys systemFlags, keywords []string) []string {
	var out []string
	if n := sys.count() + len(keywords); n > 0 {
		out = make([]string, 0, n)
	}
	for _, f := range systemFlagNames {
		if sys&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	return append(out, keywords...)
}

func (s systemFlags) count() int {
	n := 0
	for ; s != 0; s &= s - 1 {
		n++
	}
	return n
}

// FlagOp says how StoreFlags combines the given flags with the current ones
// (RFC 9051 §6.4.6: FLAGS, +FLAGS, -FLAGS).
type FlagOp uint8

const (
	FlagsReplace FlagOp = iota
	FlagsAdd
	FlagsRemove
)

// applyFlags computes new stored flags (canonical spelling) from old ones.
func applyFlags(old []string, op FlagOp, sys systemFlags, keywords []string) []string {
	oldSys, oldKw := splitFlags(old)
	switch op {
	case FlagsReplace:
		return joinFlags(sys, keywords)
	case FlagsAdd:
		kw := oldKw
		for _, k := range keywords {
			if !containsFold(kw, k) {
				kw = append(kw, k)
			}
		}
		return joinFlags(oldSys|sys, kw)
	default: // FlagsRemove
		var kw []string
		for _, k := range oldKw {
			if !containsFold(keywords, k) {
				kw = append(kw, k)
			}
		}
		return joinFlags(oldSys&^sys, kw)
	}
}

func sameFlags(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
