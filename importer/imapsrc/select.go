package imapsrc

import "strings"

// Choosing and naming mailboxes: Options.Include, Exclude and Rename.

func (s *Source) selectedByName(name string) bool {
	for _, p := range s.o.Exclude {
		if Match(p, name) {
			return false
		}
	}
	if len(s.o.Include) == 0 {
		return true
	}
	for _, p := range s.o.Include {
		if Match(p, name) {
			return true
		}
	}
	return false
}

// rename applies Options.Rename: the longest matching source name wins.
func (s *Source) rename(lm ListedMailbox) string {
	best, target := -1, lm.Name
	for from, to := range s.o.Rename {
		var rest string
		var ok bool
		switch {
		case from == lm.Name || from == lm.Raw:
			rest, ok = "", true
		case strings.HasPrefix(lm.Name, from+"/"):
			rest, ok = lm.Name[len(from):], true
		case lm.Delim != "" && strings.HasPrefix(lm.Raw, from+lm.Delim):
			// The raw prefix matched: the rest is taken from the decoded
			// name, level for level.
			levels := strings.Count(from, lm.Delim) + 1
			parts := strings.Split(lm.Name, "/")
			if levels < len(parts) {
				rest, ok = "/"+strings.Join(parts[levels:], "/"), true
			}
		}
		if ok && len(from) > best {
			best, target = len(from), strings.TrimSuffix(to, "/")+rest
		}
	}
	return target
}

// Match reports whether name matches an IMAP LIST-style pattern (RFC 9051
// §6.3.9): "*" matches any characters, "%" any but "/".
func Match(pattern, name string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*', '%':
			for i := 0; i <= len(name); i++ {
				if pattern[0] == '%' && i > 0 && name[i-1] == '/' {
					return false
				}
				if Match(pattern[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if name == "" || pattern[0] != name[0] {
			return false
		}
		pattern, name = pattern[1:], name[1:]
	}
	return name == ""
}
