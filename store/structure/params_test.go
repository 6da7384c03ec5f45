package structure

import (
	"reflect"
	"testing"
)

func TestParseContentType(t *testing.T) {
	tests := []struct {
		in       string
		typ, sub string
		params   []Param
		ok       bool
	}{
		{"text/plain", "text", "plain", nil, true},
		{"TEXT/HTML; CHARSET=UTF-8", "text", "html", []Param{{"charset", "UTF-8"}}, true},
		{`text/plain; charset=us-ascii (Plain text)`, "text", "plain", []Param{{"charset", "us-ascii"}}, true},
		{`text/plain (comment) ; format=flowed; delsp=yes`, "text", "plain", []Param{{"format", "flowed"}, {"delsp", "yes"}}, true},
		{`multipart/mixed; boundary=----=_Part_1_2.3`, "multipart", "mixed", []Param{{"boundary", "----=_Part_1_2.3"}}, true},
		{"multipart/mixed;\r\n boundary=\"a b:c\"", "multipart", "mixed", []Param{{"boundary", "a b:c"}}, true},
		{`application/octet-stream; name="a\"b.txt"`, "application", "octet-stream", []Param{{"name", `a"b.txt`}}, true},
		{`application/octet-stream; name=my file.txt`, "application", "octet-stream", []Param{{"name", "my file.txt"}}, true},
		{`text/plain; ; junk; charset="utf-8`, "text", "plain", []Param{{"charset", "utf-8"}}, true},
		{`text/plain; title*0*=us-ascii'en'This%20is; title*1="x"`, "text", "plain", []Param{{"title*0*", "us-ascii'en'This%20is"}, {"title*1", "x"}}, true},
		{`text / plain`, "text", "plain", nil, true},
		{"text", "", "", nil, false},
		{"/plain", "", "", nil, false},
		{"text/", "", "", nil, false},
		{"", "", "", nil, false},
		{"t\xe9xt/plain", "", "", nil, false},
	}
	for _, tc := range tests {
		typ, sub, ps, ok := parseContentType(tc.in)
		if typ != tc.typ || sub != tc.sub || !reflect.DeepEqual(ps, tc.params) || ok != tc.ok {
			t.Errorf("parseContentType(%q): got %q %q %v %v, want %q %q %v %v", tc.in, typ, sub, ps, ok, tc.typ, tc.sub, tc.params, tc.ok)
		}
	}
}

func TestParseDisposition(t *testing.T) {
	tests := []struct {
		in     string
		disp   string
		params []Param
	}{
		{"", "", nil},
		{"INLINE", "inline", nil},
		{`attachment; filename="a b.pdf"; size=123`, "attachment", []Param{{"filename", "a b.pdf"}, {"size", "123"}}},
		{`; filename=x`, "", nil},
	}
	for _, tc := range tests {
		disp, ps := parseDisposition(tc.in)
		if disp != tc.disp || !reflect.DeepEqual(ps, tc.params) {
			t.Errorf("parseDisposition(%q): got %q %v, want %q %v", tc.in, disp, ps, tc.disp, tc.params)
		}
	}
}

func TestParseLanguage(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"en", []string{"en"}},
		{"en, de-DE ,, fr", []string{"en", "de-DE", "fr"}},
	}
	for _, tc := range tests {
		if got := parseLanguage(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseLanguage(%q): got %v, want %v", tc.in, got, tc.want)
		}
	}
}
