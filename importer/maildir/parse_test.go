package maildir

import (
	"reflect"
	"strings"
	"testing"
)

// The examples of LEGACY-FORMATS.md §b.1 (Dovecot's maildir-uidlist.c).
func TestParseUIDListV3(t *testing.T) {
	in := "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n" +
		"25006 :1276528487.M364837P9451.kurkku,S=1355,W=1394:2,\n" +
		"25017 W2481 :1276533073.M242911P3632.kurkku:2,F\n" +
		"25018 O1 PUID1283-1276529134 W1394 :1276528499.M1P1.host:2,S\n"
	ul, warns, err := ParseUIDList(strings.NewReader(in), "dovecot-uidlist")
	if err != nil || len(warns) != 0 {
		t.Fatalf("got %v, %v", warns, err)
	}
	if ul.Version != 3 || ul.UIDValidity != 1275660208 || ul.NextUID != 25022 || ul.GUID != "3085f01b7f11094c501100008c4a11c1" {
		t.Errorf("header: got %+v", ul)
	}
	type rec struct {
		uid   uint32
		base  string
		uidl  string
		order uint32
	}
	var got []rec
	for _, r := range ul.Records {
		got = append(got, rec{r.UID, BaseName(r.Filename), r.POP3UIDL(), r.POP3Order()})
	}
	want := []rec{
		{25006, "1276528487.M364837P9451.kurkku,S=1355,W=1394", "", 0},
		{25017, "1276533073.M242911P3632.kurkku", "", 0},
		{25018, "1276528499.M1P1.host", "UID1283-1276529134", 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records:\ngot  %+v\nwant %+v", got, want)
	}
	if w := ul.Records[1].Ext['W']; w != "2481" {
		t.Errorf("W field: got %q, want 2481", w)
	}
}

func TestParseUIDListV1AndV2(t *testing.T) {
	ul, warns, err := ParseUIDList(strings.NewReader("1 1276528000 2958\n1 1276528487.M364837P9451.host\n2 1276528499.M1P1.host:2,S\n"), "u")
	if err != nil || len(warns) != 0 {
		t.Fatalf("v1: %v %v", warns, err)
	}
	if ul.UIDValidity != 1276528000 || ul.NextUID != 2958 || len(ul.Records) != 2 || ul.Records[1].UID != 2 || BaseName(ul.Records[1].Filename) != "1276528499.M1P1.host" {
		t.Errorf("v1: got %+v", ul)
	}
	ul, _, err = ParseUIDList(strings.NewReader("2 7 9\n8 0 1.M1.h:2,S\n"), "u")
	if err != nil || len(ul.Records) != 1 || ul.Records[0].UID != 8 || ul.Records[0].Filename != "1.M1.h:2,S" {
		t.Errorf("v2: got %+v, %v", ul, err)
	}
}

// Broken input never stops the parse: bad lines and UIDs out of order are
// left out, each named with its line.
func TestParseUIDListBroken(t *testing.T) {
	in := "3 V5 N20\n" +
		"3 :a\n" +
		"2 :b\n" + // out of order
		"x :c\n" + // bad UID
		"4 W1\n" + // no filename
		"5 :e\n"
	ul, warns, err := ParseUIDList(strings.NewReader(in), "dovecot-uidlist")
	if err != nil {
		t.Fatal(err)
	}
	var uids []uint32
	for _, r := range ul.Records {
		uids = append(uids, r.UID)
	}
	if !reflect.DeepEqual(uids, []uint32{3, 5}) {
		t.Errorf("got UIDs %v, want [3 5]", uids)
	}
	if len(warns) != 3 || !strings.HasPrefix(warns[0], "dovecot-uidlist:3: UIDs not ordered") {
		t.Errorf("got warnings %q", warns)
	}
	for _, bad := range []string{"", "9 1 2\n", "3 N5\n", "1 x y\n"} {
		if _, _, err := ParseUIDList(strings.NewReader(bad), "u"); err == nil {
			t.Errorf("header %q: got no error", bad)
		}
	}
}

// LEGACY-FORMATS.md §b.2: Courier's files.
func TestParseCourier(t *testing.T) {
	db, warns, err := ParseUIDDB(strings.NewReader("1 276528000 2958\n1 1276528487.M364837P9451.host\n2 1276528499.M1P1.host\n"), "courierimapuiddb")
	if err != nil || len(warns) != 0 {
		t.Fatalf("uiddb: %v %v", warns, err)
	}
	if db.UIDValidity != 276528000 || db.NextUID != 2958 || db.UIDs["1276528499.M1P1.host"] != 2 {
		t.Errorf("uiddb: got %+v", db)
	}
	tests := []struct {
		name, in string
		want     map[string]SizeEntry
	}{
		{"v3", "/3 1287 1276529134\n1276528487.M364837P9451.host:2,S 1394 1283:1276529134:0\n1276528499.M1P1.host:2, 20 1284:1276529134:1\n",
			map[string]SizeEntry{
				"1276528487.M364837P9451.host": {Order: 1, Size: 1394, UIDL: "UID1283-1276529134"},
				"1276528499.M1P1.host":         {Order: 2, Size: 20, UIDL: "UID1284-1276529134"},
			}},
		{"v2", "/2 10 77\n1.M1.h:2,S 5 9:77\n2.M1.h 6 3:0\n",
			map[string]SizeEntry{"1.M1.h": {Order: 1, Size: 5, UIDL: "UID9-77"}, "2.M1.h": {Order: 2, Size: 6, UIDL: "UID3"}}},
		{"v1", "/1 10\n1.M1.h:2,S 5 9\n",
			map[string]SizeEntry{"1.M1.h": {Order: 1, Size: 5, UIDL: "UID9"}}},
		{"v0", "1.M1.h:2,S 5\nodd+name\"x 6\n",
			map[string]SizeEntry{"1.M1.h": {Order: 1, Size: 5, UIDL: "1.M1.h"}, "odd+name\"x": {Order: 2, Size: 6, UIDL: "odd+2Bname+22x"}}},
	}
	for _, tt := range tests {
		sl, warns, err := ParsePOP3DSizeList(strings.NewReader(tt.in), "courierpop3dsizelist")
		if err != nil || len(warns) != 0 {
			t.Errorf("%s: %v %v", tt.name, warns, err)
			continue
		}
		if !reflect.DeepEqual(sl.Entries, tt.want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tt.name, sl.Entries, tt.want)
		}
	}
	ck, warns := ParseCourierKeywords(strings.NewReader("$Junk\nWork\n\n1.M1.h:0 1\n2.M1.h:2,S:1\n3.M1.h:7\n"), ":list")
	if want := (CourierKeywords{"1.M1.h": {"$Junk", "Work"}, "2.M1.h": {"Work"}}); !reflect.DeepEqual(ck, want) {
		t.Errorf("courier keywords: got %v, want %v", ck, want)
	}
	if len(warns) != 1 {
		t.Errorf("courier keywords: got warnings %q, want one (index 7)", warns)
	}
}

func TestKeywordsAndInfoFlags(t *testing.T) {
	kw, warns := ParseDovecotKeywords(strings.NewReader("0 $Junk\n1 Work\n30 TooFar\nbad\n"), "dovecot-keywords")
	if kw[0] != "$Junk" || kw[1] != "Work" || len(warns) != 2 {
		t.Errorf("got %q, warnings %q", kw[:3], warns)
	}
	tests := []struct {
		name    string
		want    []string
		unknown string
	}{
		{"1.M1.h:2,S", []string{`\Seen`}, ""},
		{"1.M1.h:2,DFPRST", []string{`\Draft`, `\Flagged`, `\Answered`, `\Seen`, `\Deleted`}, ""},
		{"1.M1.h:2,Sab", []string{`\Seen`, "$Junk", "Work"}, ""},
		{"1.M1.h:2,Sz", []string{`\Seen`}, "z"},
		{"1.M1.h", nil, ""},
		{"1.M1.h:1,S", nil, ""},
	}
	for _, tt := range tests {
		got, unknown := InfoFlags(tt.name, &kw)
		if !reflect.DeepEqual(got, tt.want) || unknown != tt.unknown {
			t.Errorf("%s: got %q, %q; want %q, %q", tt.name, got, unknown, tt.want, tt.unknown)
		}
	}
}

func FuzzParseUIDList(f *testing.F) {
	f.Add("3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n25006 :1276528487.M364837P9451.kurkku,S=1355,W=1394:2,\n25018 O1 PUID1283-1276529134 W1394 :1276528499.M1P1.host:2,S\n")
	f.Add("1 1276528000 2958\n1 1276528487.M364837P9451.host\n")
	f.Add("2 7 9\n8 0 1.M1.h:2,S\n")
	f.Fuzz(func(t *testing.T, in string) {
		ul, _, err := ParseUIDList(strings.NewReader(in), "u")
		if err != nil {
			return
		}
		var last uint32
		for _, r := range ul.Records {
			if r.UID <= last || r.Filename == "" {
				t.Fatalf("record %+v after UID %d", r, last)
			}
			last = r.UID
		}
	})
}

func FuzzParseCourier(f *testing.F) {
	f.Add("1 276528000 2958\n1 1276528487.M364837P9451.host\n")
	f.Add("/3 1287 1276529134\n1276528487.M364837P9451.host:2,S 1394 1283:1276529134:0\n")
	f.Add("/1 10\n1.M1.h:2,S 5 9\n")
	f.Add("1.M1.h:2,S 5\n")
	f.Add("$Junk\nWork\n\n1.M1.h:0 1\n")
	f.Fuzz(func(t *testing.T, in string) {
		ParseUIDDB(strings.NewReader(in), "db")
		ParseCourierKeywords(strings.NewReader(in), "kw")
		ParseDovecotKeywords(strings.NewReader(in), "kw")
		sl, _, err := ParsePOP3DSizeList(strings.NewReader(in), "sl")
		if err != nil {
			return
		}
		orders := map[uint32]bool{}
		for _, e := range sl.Entries {
			if e.UIDL == "" || orders[e.Order] {
				t.Fatalf("entry %+v", e)
			}
			orders[e.Order] = true
		}
	})
}
