package password

import (
	"errors"
	"strings"
	"testing"
)

// Fixtures made with Dovecot 2.3's "doveadm pw -s SCHEME -p secret" on
// this project's CI machine kind, pasted as printed.
var doveadmVectors = []struct{ scheme, hash string }{
	{"SHA512-CRYPT", "{SHA512-CRYPT}$6$ydXH3DHOvtwDcS6Z$wxA7UDLOmBz/NOgldoBm5nBGlJsqxUzFMoWHPREwumgzwDPa5IPmcQgNihTbrVVT/rWBtmC7pg5Tr3lrn22d11"},
	{"SHA256-CRYPT", "{SHA256-CRYPT}$5$3U7fwA7DVclUhcxJ$.OROt9vLBzqeKLMm6rsMkK.hpzmpa2q0.5zjW4EwXM0"},
	{"BLF-CRYPT", "{BLF-CRYPT}$2y$05$74PZPIvwyHlwiUmC05GKaup0R1iQTBq3vaHM8w/WnfG6irj4AVvbe"},
	{"ARGON2ID", "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$tmJlyP+p+0Z1dBToNGaZOA$nZgkwKyHbxe4TM7jyUv1G3JyAJoeIxiPqJcjoj6QsSc"},
	{"ARGON2I", "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$ztYZlnzAOV4nJ+HQO114RQ$7sI7nWxSivxxuEYmQChUodkvdezR4o/YTGAkSiwXodY"},
	{"SSHA512", "{SSHA512}sISzlnKcnf+HCymEfkBWmjV2z1FChGNBp2e8If0+Zlx8bs0UEDtrU39bLehFNafqDhD4nY+91HmJjLJBUj5HWcAxvEo="},
	{"SSHA256", "{SSHA256}2L1rVhdn2yWmNGFSx8NPxkgF+5tMzmhbgON+EPC02wVoKoSw"},
	{"SSHA", "{SSHA}BTjI66DdfXHx1iBxNFBz5qPOKbYNmi1u"},
	{"SHA512", "{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg=="},
	{"SHA256", "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols="},
	{"SHA", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="},
	{"PLAIN", "{PLAIN}secret"},
	{"CLEARTEXT", "{CLEARTEXT}secret"},
	{"CRYPT", "{CRYPT}$2y$05$gmXEWoXg/WmBtjNZTPLtdeuApERy6vRsTykiI3bsMd2m9MnKXV9lO"},
	{"MD5-CRYPT", "{MD5-CRYPT}$1$.fnBRhAN$jknAdSDwo2hqQmwTsCAML/"},
	{"SHA256", "{SHA256.HEX}2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"},
	{"SSHA", "{SSHA.HEX}fe994ccdcf995b5141ace2e09407454d4454e21e3aebee46"},
	{"PLAIN", "{PLAIN.B64}c2VjcmV0"},
	{"BLF-CRYPT", "{BLF-CRYPT}$2y$04$Bq8TRrr0P372Wxx34w2g4OgHUk11DcUEc2N4rJ/hiomTwfUKk5Qce"},
	// Untagged: Dovecot's default scheme CRYPT.
	{"CRYPT", "$6$ydXH3DHOvtwDcS6Z$wxA7UDLOmBz/NOgldoBm5nBGlJsqxUzFMoWHPREwumgzwDPa5IPmcQgNihTbrVVT/rWBtmC7pg5Tr3lrn22d11"},
	// Lower-case scheme names are Dovecot's too.
	{"SHA512-CRYPT", "{sha512-crypt}$6$ydXH3DHOvtwDcS6Z$wxA7UDLOmBz/NOgldoBm5nBGlJsqxUzFMoWHPREwumgzwDPa5IPmcQgNihTbrVVT/rWBtmC7pg5Tr3lrn22d11"},
}

func TestVerifyDoveadmVectors(t *testing.T) {
	t.Parallel()
	for _, v := range doveadmVectors {
		sc, err := Scheme(v.hash)
		if err != nil || sc != v.scheme {
			t.Errorf("Scheme(%.30q…) = %q, %v; want %q", v.hash, sc, err, v.scheme)
		}
		for _, tc := range []struct {
			pw   string
			want bool
		}{{"secret", true}, {"Secret", false}, {"", false}, {"secret ", false}} {
			got, err := Verify(v.hash, tc.pw)
			if err != nil || got != tc.want {
				t.Errorf("Verify(%.30q…, %q) = %v, %v; want %v", v.hash, tc.pw, got, err, tc.want)
			}
		}
	}
}

// Drepper's "Unix crypt using SHA-256 and SHA-512" test vectors (checked
// against glibc's crypt(3) through Python's crypt module), and one
// from doveadm with explicit rounds and a password with a colon, a space
// and UTF-8.
func TestVerifySHACryptSpecVectors(t *testing.T) {
	t.Parallel()
	for _, v := range []struct{ hash, pw string }{
		{"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!"},
		{"$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", "Hello world!"},
		{"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "Hello world!"},
		{"$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.", "Hello world!"},
		{"{SHA512-CRYPT}$6$rounds=10000$lkv8vMBbo/4S08xU$kE0DkS4Xi0niLaUpIu5F9MmylCnCpOUWMzbD.HkXFdJOKhuXg/WgJ1Oh2ooqqXdyhZv0ulx.hLUrYpEd9KyIq0", "pass:with spaces é"},
	} {
		if ok, err := Verify(v.hash, v.pw); !ok || err != nil {
			t.Errorf("Verify(%q, %q) = %v, %v; want true", v.hash, v.pw, ok, err)
		}
		if ok, err := Verify(v.hash, v.pw+"x"); ok || err != nil {
			t.Errorf("Verify(%q, wrong) = %v, %v; want false", v.hash, ok, err)
		}
	}
}

func TestVerifyRefusals(t *testing.T) {
	t.Parallel()
	for _, h := range []string{
		"{MD4}abc",                     // unknown scheme
		"{SHA512-CRYPT}$5$abc$def",     // id does not match the scheme
		"{CRYPT}abJnggxhB/yWI",         // DES crypt
		"abJnggxhB/yWI",                // untagged DES crypt
		"{SHA256}not base64!",          // bad digest
		"{SHA256}c2VjcmV0",             // wrong length
		"{SSHA}c2Vj",                   // shorter than the digest
		"{SHA256.ZIP}abc",              // unknown encoding
		"{SHA256",                      // no closing brace
		"$6$rounds=99999999$salt$hash", // too many rounds
		"{BLF-CRYPT}$2y$31$" + "0123456789012345678901" + "0123456789012345678901234567890", // cost 31
		"{ARGON2ID}$argon2i$v=19$m=32768,t=4,p=1$ztYZlnzAOV4nJ+HQO114RQ$7sI7nWxSivxxuEYmQChUodkvdezR4o/YTGAkSiwXodY",
		"{ARGON2ID}$argon2id$v=19$m=4194304,t=3,p=1$tmJlyP+p+0Z1dBToNGaZOA$nZgkwKyHbxe4TM7jyUv1G3JyAJoeIxiPqJcjoj6QsSc",
		"",
	} {
		if ok, err := Verify(h, "secret"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want an error", h, ok, err)
		}
	}
	for _, h := range []string{"{MD4}abc", "{CRYPT}abJnggxhB/yWI", "plaintext"} {
		if _, err := Scheme(h); !errors.Is(err, ErrUnknownScheme) {
			t.Errorf("Scheme(%q) = %v, want ErrUnknownScheme", h, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	native, err := Hash("secret")
	if err != nil {
		t.Fatal(err)
	}
	if NeedsRehash(native) {
		t.Errorf("NeedsRehash(native) = true")
	}
	if sc, err := Scheme(native); err != nil || sc != "ARGON2ID-NATIVE" {
		t.Errorf("Scheme(native) = %q, %v", sc, err)
	}
	for _, v := range doveadmVectors {
		if !NeedsRehash(v.hash) {
			t.Errorf("NeedsRehash(%.30q…) = false", v.hash)
		}
	}
}

// FuzzVerifyImported: no imported hash, however broken, panics Verify or
// Scheme, and a hash Scheme refuses never verifies.
func FuzzVerifyImported(f *testing.F) {
	for _, v := range doveadmVectors {
		f.Add(v.hash, "secret")
	}
	f.Add("$6$rounds=1000$s$"+strings.Repeat("a", 86), "x")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		ok, err := Verify(hash, pw)
		if _, serr := Scheme(hash); serr != nil && ok {
			t.Fatalf("Verify(%q) = true, but Scheme refuses it: %v", hash, serr)
		}
		_ = err
	})
}
