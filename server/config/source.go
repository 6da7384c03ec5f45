package config

import (
	"fmt"
	"strings"
)

// source records where each value came from, so that a problem can name
// the file and line, or the flag, that set it.
type source struct {
	file  string            // the configuration file, "" without one
	lines map[string]int    // dotted key ("imap.addr") → line in file
	flags map[string]string // dotted key → the flag that set it
	// unknown lists the file's keys that no field takes (toml's
	// MetaData.Undecoded), for Validate.
	unknown []unknownKey
}

// unknownKey is a key of the file that the configuration does not have.
type unknownKey struct {
	key     string
	section bool // a whole "[table]", reported once
}

// SetByFlag records that the value of key (dotted, "imap.addr") came from
// the command-line flag name, so that a problem with it names the flag.
func (c *Config) SetByFlag(key, flagName string) {
	if c.source.flags == nil {
		c.source.flags = make(map[string]string)
	}
	c.source.flags[key] = flagName
}

// where tells the user where key was set: "--imap", "file:12", "file" or
// "" (a default).
func (c *Config) where(key string) string {
	if f, ok := c.source.flags[key]; ok {
		return "flag --" + f
	}
	if c.source.file == "" {
		return ""
	}
	if n, ok := c.source.lines[key]; ok {
		return fmt.Sprintf("%s:%d", c.source.file, n)
	}
	return c.source.file
}

// keyLines finds the line of each key in a TOML document: "key = …" lines
// under the last "[table]" header. It is deliberately simple (the parser
// proper is BurntSushi/toml; this only locates keys for error messages)
// and understands bare and quoted keys, dotted keys, and table headers; a
// key it cannot place is reported without a line. Lines inside multi-line
// strings are skipped.
func keyLines(doc string) map[string]int {
	lines := make(map[string]int)
	table := ""
	inMulti := "" // the closing delimiter while inside a multi-line string
	for i, line := range strings.Split(doc, "\n") {
		s := strings.TrimSpace(line)
		if inMulti != "" {
			if strings.Count(s, inMulti)%2 == 1 {
				inMulti = ""
			}
			continue
		}
		switch {
		case s == "" || s[0] == '#':
			continue
		case strings.HasPrefix(s, "[["):
			// An array of tables: none in our configuration, so any key
			// under it is unknown and reported against its header.
			table = normalizeKey(strings.Trim(cutComment(s), "[] \t"))
			lines[table] = i + 1
			continue
		case s[0] == '[':
			table = normalizeKey(strings.Trim(cutComment(s), "[] \t"))
			if _, ok := lines[table]; !ok {
				lines[table] = i + 1
			}
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			continue
		}
		key := normalizeKey(k)
		if table != "" {
			key = table + "." + key
		}
		if _, ok := lines[key]; !ok {
			lines[key] = i + 1
		}
		for _, delim := range []string{`"""`, `'''`} {
			if strings.Count(v, delim)%2 == 1 {
				inMulti = delim
			}
		}
	}
	return lines
}

// normalizeKey turns ` a . "b" ` into a.b, as toml.Key.String writes keys
// made of bare parts.
func normalizeKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// cutComment drops a trailing "# comment" from a table header line.
func cutComment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}
