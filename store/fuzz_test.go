package store

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzKeyRoundTrip: every key that decodes encodes back to the same bytes,
// and decoding never panics.
func FuzzKeyRoundTrip(f *testing.F) {
	for _, k := range [][]byte{
		keyAccount(7), keyAccountName("alice"), keyMailbox(1, 2), keyMailboxName(1, "INBOX/x"),
		keyDeletedName(1, "Old"), keyDeadMailbox(3), keyMessage(3, 42), keyTombstone(3, 9),
		keyUIDL(1, "000061ae4c0907b0"), keySourceKey(3, "src/1"), keyBlob(5), keyChunk(5, 2),
		keyHash([hashSize]byte{1, 2, 3}), keyStructure(5), keyOrphanBlob(5), keySequence("ids"),
	} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, k []byte) {
		d, err := decodeKey(k)
		if err != nil {
			return
		}
		if got := encodeKey(d); !bytes.Equal(got, k) {
			t.Fatalf("decode(%x) = %+v encodes to %x", k, d, got)
		}
	})
}

func TestKeyOrderIsNumeric(t *testing.T) {
	// UID ranges are Seek + prefix scans: big-endian keys sort numerically.
	prev := keyMessage(1, 0)
	for _, uid := range []UID{1, 2, 255, 256, 65536, 1 << 31, 1<<32 - 1} {
		k := keyMessage(1, uid)
		if bytes.Compare(prev, k) >= 0 {
			t.Fatalf("key of UID %d does not sort after the previous one", uid)
		}
		prev = k
	}
}

// FuzzRecords: decoding arbitrary bytes never panics, and records round-trip.
func FuzzRecords(f *testing.F) {
	mb := &Mailbox{Name: "INBOX", UIDValidity: 1, UIDNext: 5, HighestModSeq: 9, Keywords: []string{"$Junk"}, importFloor: 3}
	msg := &Message{ModSeq: 3, Flags: []string{`\Seen`, "Work"}, InternalDate: time.Unix(1276671600, 0).UTC(), Size: 10, UIDL: "x", POP3Order: 2, Blob: 4}
	acc := &accountRecord{Name: "alice", PasswordHash: "$argon2id$...", Created: time.Unix(1, 0).UTC(), LastUIDValidity: 77}
	blob := &blobRecord{Hash: [hashSize]byte{9}, Size: 5, Chunks: 1, Refs: 2}
	f.Add(marshalMailbox(mb))
	f.Add(marshalMessage(msg))
	f.Add(acc.marshal())
	f.Add(blob.marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Mailbox
		if unmarshalMailbox(b, &m) == nil {
			var again Mailbox
			if err := unmarshalMailbox(marshalMailbox(&m), &again); err != nil || !reflect.DeepEqual(m, again) {
				t.Fatalf("mailbox round trip: %+v vs %+v (%v)", m, again, err)
			}
		}
		var g Message
		unmarshalMessage(b, 1, &g)
		var a accountRecord
		a.unmarshal(b)
		var br blobRecord
		br.unmarshal(b)
	})
}

func TestRecordRoundTrip(t *testing.T) {
	msg := Message{UID: 9, ModSeq: 3, Flags: []string{`\Seen`, `\Draft`, "Work", "$label1"}, InternalDate: time.Unix(1276671600, 5).UTC(), Size: 10, UIDL: "UID1283-1276529134", POP3Order: 2, Blob: 4}
	var got Message
	if err := unmarshalMessage(marshalMessage(&msg), 9, &got); err != nil || !reflect.DeepEqual(got, msg) {
		t.Errorf("message round trip: got %+v, %v; want %+v", got, err, msg)
	}
}

func FuzzUIDLTemplate(f *testing.F) {
	for _, s := range []string{DefaultUIDLTemplate, "%08Xv%08Xu", "%v.%u", "UID%u-%v", "%u", "%%u%u", "%", "%0", "%q", "%99u"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		tmpl, err := ParseUIDLTemplate(text)
		if err != nil {
			return
		}
		u := tmpl.Render(4294967294, 4294967295, 1<<62)
		if len(u) <= maxUIDLLength {
			if err := ValidateUIDL(u); err != nil {
				t.Fatalf("template %q rendered invalid UIDL %q: %v", text, u, err)
			}
		}
	})
}

func TestUIDLTemplates(t *testing.T) {
	for _, tc := range []struct {
		tmpl string
		want string
	}{
		{DefaultUIDLTemplate, "000061ae4c0907b0"}, // Dovecot default, LEGACY-FORMATS.md §b.4
		{"%08Xv%08Xu", "4c0907b0000061ae"},        // UW ipop3d
		{"%v.%u", "1275660208.25006"},             // Cyrus
		{"UID%u-%v", "UID25006-1275660208"},
		{"%%%u", "%25006"},
	} {
		tmpl, err := ParseUIDLTemplate(tc.tmpl)
		if err != nil {
			t.Fatalf("%q: %v", tc.tmpl, err)
		}
		if got := tmpl.Render(25006, 1275660208, 1); got != tc.want {
			t.Errorf("%q rendered %q, want %q", tc.tmpl, got, tc.want)
		}
	}
	for _, bad := range []string{"%v", "%q", "%u %v", "%", "%123u", "caf\xc3\xa9%u"} {
		if _, err := ParseUIDLTemplate(bad); err == nil || !strings.Contains(err.Error(), "UIDL template") {
			t.Errorf("template %q accepted or unclear error: %v", bad, err)
		}
	}
}

func FuzzCRLFReader(f *testing.F) {
	f.Add([]byte("a\nb\r\nc\rd\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		r := newCRLFReader(bytes.NewReader(in))
		out.ReadFrom(r)
		r.release()
		b := out.Bytes()
		for i, c := range b {
			if c == '\n' && (i == 0 || b[i-1] != '\r') {
				t.Fatalf("bare LF at %d in %q", i, b)
			}
		}
		// Idempotent: normalising twice changes nothing.
		var again bytes.Buffer
		r2 := newCRLFReader(bytes.NewReader(b))
		again.ReadFrom(r2)
		r2.release()
		if !bytes.Equal(again.Bytes(), b) {
			t.Fatalf("not idempotent on %q", in)
		}
		if got := bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")); !bytes.Equal(got, bytes.ReplaceAll(in, []byte("\r\n"), []byte("\n"))) {
			t.Fatalf("content changed: %q -> %q", in, b)
		}
	})
}
