package store

import (
	"time"
)

// Stored records and their codecs (see codec.go for the encoding rules).

const (
	accountRecordVersion = 1
	mailboxRecordVersion = 1
	messageRecordVersion = 1
	blobRecordVersion    = 1
)

type accountRecord struct {
	Name         string
	PasswordHash string // scheme-tagged or PHC hash, see store/password
	Created      time.Time
	// LastUIDValidity is the largest UIDVALIDITY ever given to a mailbox of
	// this account; new mailboxes get a larger one (RFC 9051 §2.3.1.1).
	LastUIDValidity uint32
}

func (r *accountRecord) marshal() []byte {
	e := encoder{b: make([]byte, 0, 64+len(r.PasswordHash))}
	e.byte(accountRecordVersion)
	e.string(r.Name)
	e.string(r.PasswordHash)
	e.varint(r.Created.UnixNano())
	e.uvarint(uint64(r.LastUIDValidity))
	return e.b
}

func (r *accountRecord) unmarshal(b []byte) error {
	d := decoder{b: b}
	d.version("account", accountRecordVersion)
	r.Name = d.string()
	r.PasswordHash = d.string()
	r.Created = time.Unix(0, d.varint()).UTC()
	r.LastUIDValidity = d.uint32()
	return d.err
}

// mailboxRecord is Mailbox without the fields that come from the key.
func marshalMailbox(m *Mailbox) []byte {
	e := encoder{b: make([]byte, 0, 64+len(m.Name))}
	e.byte(mailboxRecordVersion)
	e.string(m.Name)
	e.uvarint(uint64(m.UIDValidity))
	e.uvarint(uint64(m.UIDNext))
	e.uvarint(m.HighestModSeq)
	e.bool(m.Subscribed)
	e.string(m.SpecialUse)
	e.uvarint(uint64(m.Messages))
	e.uvarint(uint64(m.Unseen))
	e.uvarint(uint64(m.Deleted))
	e.varint(m.Size)
	e.strings(m.Keywords)
	e.uvarint(uint64(m.importFloor))
	return e.b
}

func unmarshalMailbox(b []byte, m *Mailbox) error {
	d := decoder{b: b}
	d.version("mailbox", mailboxRecordVersion)
	m.Name = d.string()
	m.UIDValidity = d.uint32()
	m.UIDNext = UID(d.uint32())
	m.HighestModSeq = d.uvarint()
	m.Subscribed = d.bool()
	m.SpecialUse = d.string()
	m.Messages = d.uint32()
	m.Unseen = d.uint32()
	m.Deleted = d.uint32()
	m.Size = d.varint()
	m.Keywords = d.strings()
	m.importFloor = UID(d.uint32())
	return d.err
}

// Message records store system flags as a bit set and keywords as strings.
func marshalMessage(m *Message) []byte {
	sys, kw := splitFlags(m.Flags)
	e := encoder{b: make([]byte, 0, 48+len(m.UIDL))}
	e.byte(messageRecordVersion)
	e.uvarint(m.ModSeq)
	e.byte(byte(sys))
	e.strings(kw)
	e.varint(m.InternalDate.UnixNano())
	e.varint(m.Size)
	e.string(m.UIDL)
	e.uvarint(uint64(m.POP3Order))
	e.uvarint(uint64(m.Blob))
	return e.b
}

func unmarshalMessage(b []byte, uid UID, m *Message) error {
	d := decoder{b: b}
	d.version("message", messageRecordVersion)
	m.UID = uid
	m.ModSeq = d.uvarint()
	sys := systemFlags(d.byte())
	kw := d.strings()
	m.Flags = joinFlags(sys, kw)
	m.InternalDate = time.Unix(0, d.varint()).UTC()
	m.Size = d.varint()
	m.UIDL = d.string()
	m.POP3Order = d.uint32()
	m.Blob = BlobID(d.uvarint())
	return d.err
}

// blobRecord describes stored message bytes. Identical bodies (same SHA-256)
// share one blob; Refs counts the messages that point to it.
type blobRecord struct {
	Hash   [hashSize]byte
	Size   int64
	Chunks uint32
	Refs   uint32
}

func (r *blobRecord) marshal() []byte {
	e := encoder{b: make([]byte, 0, 48)}
	e.byte(blobRecordVersion)
	e.b = append(e.b, r.Hash[:]...)
	e.varint(r.Size)
	e.uvarint(uint64(r.Chunks))
	e.uvarint(uint64(r.Refs))
	return e.b
}

func (r *blobRecord) unmarshal(b []byte) error {
	d := decoder{b: b}
	d.version("blob", blobRecordVersion)
	if d.err == nil {
		if len(d.b) < hashSize {
			return errShortRecord
		}
		copy(r.Hash[:], d.b)
		d.b = d.b[hashSize:]
	}
	r.Size = d.varint()
	r.Chunks = d.uint32()
	r.Refs = d.uint32()
	return d.err
}
