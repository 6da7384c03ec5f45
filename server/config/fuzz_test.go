package config

import "testing"

// FuzzParse: any file is either refused with an error or parsed into a
// configuration whose check runs to the end, without a panic; the key
// locator sees the same input.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"data = \"/var/lib/ferrymail\"\n[imap]\naddr = \"0.0.0.0:143\"\nimaps_addr = \":993\"\n",
		"[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\nstarttls = \"on\"\n",
		"[lmtp]\naddr = \"unix:\"\n[log]\nformat = \"xml\"\n",
		"[[imap]]\naddr = 1\n",
		"a.b.\"c\" = '''\nx\n'''\n[limits]\nx = \"-5s\"\n",
		"[uidl]\ntemplate = \"%99u\"\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		_ = keyLines(doc)
		cfg, err := parse("fuzz.toml", doc)
		if err != nil {
			return
		}
		// Validate may read files the input names; that is harmless
		// (it only opens them) and bounded.
		_ = cfg.Validate()
	})
}
