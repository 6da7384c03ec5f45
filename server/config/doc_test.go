package config_test

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ferrymail/ferrymail/server"
	"github.com/ferrymail/ferrymail/server/config"
	"github.com/ferrymail/ferrymail/store"
)

const docFile = "../../docs/configuration.md"

// TestDocumentationExample parses the complete example of
// docs/configuration.md: it must hold every key the code knows, no key the
// code does not, and values that pass Validate (but for the certificate
// files, which exist only on the example's machine).
func TestDocumentationExample(t *testing.T) {
	doc, err := os.ReadFile(docFile)
	if err != nil {
		t.Fatal(err)
	}
	example := fencedBlock(t, string(doc), "```toml")
	path := t.TempDir() + "/example.toml"
	if err := os.WriteFile(path, []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the example does not parse: %v", err)
	}
	var ps config.Problems
	if errors.As(cfg.Validate(), &ps) {
		for _, p := range ps {
			if (p.Key == "tls.cert" || p.Key == "tls.key") && strings.Contains(p.Msg, "does not exist") {
				continue
			}
			t.Errorf("the example has a problem: %v", p)
		}
	}
	for _, key := range configKeys(reflect.TypeOf(config.Config{}), "") {
		leaf := key[strings.LastIndex(key, ".")+1:]
		section := ""
		if i := strings.LastIndex(key, "."); i >= 0 {
			section = key[:i]
		}
		if !strings.Contains(example, "\n"+leaf+" = ") || (section != "" && !strings.Contains(example, "["+section+"]")) {
			t.Errorf("key %s is missing from the example in %s", key, docFile)
		}
		if !strings.Contains(string(doc), "`"+key+"`") {
			t.Errorf("key %s is missing from the table of options in %s", key, docFile)
		}
	}
}

// TestDefaultsAgree: the defaults here and in the packages that have their
// own copy.
func TestDefaultsAgree(t *testing.T) {
	for _, c := range []struct{ name, here, there string }{
		{"data dir", config.DefaultDataDir, server.DefaultDataDir},
		{"IMAP address", config.DefaultIMAPAddr, server.DefaultIMAPAddr},
		{"POP3 address", config.DefaultPOP3Addr, server.DefaultPOP3Addr},
		{"UIDL template", config.DefaultUIDLTemplate, store.DefaultUIDLTemplate},
	} {
		if c.here != c.there {
			t.Errorf("%s: config says %q, its package %q", c.name, c.here, c.there)
		}
	}
}

// fencedBlock returns the body of the first fenced block opened by fence.
func fencedBlock(t *testing.T, doc, fence string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n"+fence+"\n")
	if !ok {
		t.Fatalf("no %s block in %s", fence, docFile)
	}
	body, _, ok := strings.Cut(rest, "\n```")
	if !ok {
		t.Fatalf("the %s block in %s is not closed", fence, docFile)
	}
	return "\n" + body + "\n"
}

// configKeys lists the dotted TOML keys of a configuration struct.
func configKeys(typ reflect.Type, prefix string) []string {
	var keys []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(config.Duration{}) {
			keys = append(keys, configKeys(f.Type, prefix+name+".")...)
			continue
		}
		keys = append(keys, prefix+name)
	}
	return keys
}
