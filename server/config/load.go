package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Load reads the configuration file path over Default(). Keys the file
// does not set keep their defaults. A file that is not TOML, or a value of
// the wrong TOML type, is one error with its line; everything else
// (unknown keys included) is left for Validate, which lists all problems.
//
// Relative paths in the file (data, tls.cert, tls.key, a unix: LMTP
// socket) are taken relative to the file's directory, so that the
// configuration means the same whatever directory the server starts in.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading configuration: %w", err)
	}
	return parse(path, string(data))
}

// parse is Load on the file's contents; name is used in messages.
func parse(name, doc string) (Config, error) {
	cfg := Default()
	md, err := toml.Decode(doc, &cfg)
	if err != nil {
		return Config{}, decodeError(name, err)
	}
	cfg.source = source{file: name, lines: keyLines(doc)}
	cfg.source.unknown = unknownKeys(md)
	cfg.resolvePaths(filepath.Dir(name))
	return cfg, nil
}

// resolvePaths makes the relative paths that the file set relative to dir.
func (c *Config) resolvePaths(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	if _, set := c.source.lines["data"]; set {
		c.DataDir = abs(c.DataDir)
	}
	c.TLS.Cert = abs(c.TLS.Cert)
	c.TLS.Key = abs(c.TLS.Key)
	if p, ok := strings.CutPrefix(c.LMTP.Addr, "unix:"); ok {
		c.LMTP.Addr = "unix:" + abs(p)
	}
}

// unknownKeys lists the keys no field took. A whole unknown section
// ("[imapx]") is one entry, not one per key in it.
func unknownKeys(md toml.MetaData) []unknownKey {
	var unknown []unknownKey
	var tables []string
	for _, k := range md.Undecoded() {
		key := k.String()
		if slices.ContainsFunc(tables, func(t string) bool { return strings.HasPrefix(key, t+".") }) {
			continue
		}
		section := md.Type(k...) == "Hash"
		if section {
			tables = append(tables, key)
		}
		unknown = append(unknown, unknownKey{key: key, section: section})
	}
	return unknown
}

// typeError is how BurntSushi/toml words a value of the wrong type, which
// it returns as a plain error rather than a ParseError.
var typeError = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// decodeError words a decoding error as "file:line: message".
func decodeError(name string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d: %s", name, pe.Position.Line, pe.Message)
	}
	if m := typeError.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%s:%s: %s: %s", name, m[1], m[2], m[3])
	}
	return fmt.Errorf("%s: %w", name, err)
}
