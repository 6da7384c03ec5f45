package store

import (
	"encoding/binary"
	"fmt"
)

// The key schema. Every key is a one-byte table prefix followed by
// fixed-width big-endian IDs (so that ranges are Seek + ValidForPrefix scans,
// in numeric order) and, last, at most one variable-length string.
//
//	table  key                                   value
//	'a'    acct(8)                               accountRecord
//	'A'    lower(name)                           acct(8)            account name index
//	'M'    acct(8) mbox(8)                       mailboxRecord
//	'N'    acct(8) name                          mbox(8)            mailbox name index
//	'D'    acct(8) name                          uidvalidity(4)     last UIDVALIDITY of a deleted mailbox of that name
//	'X'    mbox(8)                               acct(8)            mailbox deleted, messages still to purge
//	'm'    mbox(8) uid(4)                        messageRecord
//	'x'    mbox(8) uid(4)                        modseq(8)          expunge tombstone (RFC 7162 §3.2.9 needs UID+MODSEQ)
//	'U'    acct(8) uidl                          mbox(8) uid(4)     POP3 UIDL index, unique per account
//	'K'    mbox(8) source key                    uid(4)             import dedupe index, kept after expunge
//	'b'    blob(8)                               blobRecord
//	'c'    blob(8) chunk(4)                      raw bytes          message bytes, chunkSize at most
//	'h'    sha256(32)                            blob(8)            content index (identical bodies share a blob)
//	's'    blob(8)                               structure          ENVELOPE/BODYSTRUCTURE computed at ingest
//	'z'    blob(8)                               nothing            blob chunks not (or no longer) referenced: to sweep
//	'q'    name                                  (badger Sequence)  ID sequences
//	'g'    name                                  value              store-wide settings (the UIDVALIDITY floor)
//
// Mailbox and blob IDs are global, so message keys need no account.
const (
	tAccount       byte = 'a'
	tAccountName   byte = 'A'
	tMailbox       byte = 'M'
	tMailboxName   byte = 'N'
	tDeletedName   byte = 'D'
	tDeadMailbox   byte = 'X'
	tMessage       byte = 'm'
	tTombstone     byte = 'x'
	tUIDL          byte = 'U'
	tSourceKey     byte = 'K'
	tBlob          byte = 'b'
	tChunk         byte = 'c'
	tHash          byte = 'h'
	tStructure     byte = 's'
	tOrphanBlob    byte = 'z'
	tSequence      byte = 'q'
	tGlobal        byte = 'g'
	hashSize            = 32
	idSize              = 8
	uidSize             = 4
	chunkIndexSize      = 4
)

func be64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }
func be32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

func keyAccount(a AccountID) []byte { return be64([]byte{tAccount}, uint64(a)) }
func keyAccountName(lowerName string) []byte {
	return append([]byte{tAccountName}, lowerName...)
}
func keyMailbox(a AccountID, m MailboxID) []byte {
	return be64(be64([]byte{tMailbox}, uint64(a)), uint64(m))
}
func prefixMailboxes(a AccountID) []byte { return be64([]byte{tMailbox}, uint64(a)) }
func keyMailboxName(a AccountID, name string) []byte {
	return append(be64([]byte{tMailboxName}, uint64(a)), name...)
}
func prefixMailboxNames(a AccountID) []byte { return be64([]byte{tMailboxName}, uint64(a)) }
func keyDeletedName(a AccountID, name string) []byte {
	return append(be64([]byte{tDeletedName}, uint64(a)), name...)
}
func keyDeadMailbox(m MailboxID) []byte { return be64([]byte{tDeadMailbox}, uint64(m)) }
func keyMessage(m MailboxID, uid UID) []byte {
	return be32(be64([]byte{tMessage}, uint64(m)), uint32(uid))
}
func prefixMessages(m MailboxID) []byte { return be64([]byte{tMessage}, uint64(m)) }
func keyTombstone(m MailboxID, uid UID) []byte {
	return be32(be64([]byte{tTombstone}, uint64(m)), uint32(uid))
}
func prefixTombstones(m MailboxID) []byte { return be64([]byte{tTombstone}, uint64(m)) }
func keyUIDL(a AccountID, uidl string) []byte {
	return append(be64([]byte{tUIDL}, uint64(a)), uidl...)
}
func prefixUIDLs(a AccountID) []byte { return be64([]byte{tUIDL}, uint64(a)) }
func keySourceKey(m MailboxID, source string) []byte {
	return append(be64([]byte{tSourceKey}, uint64(m)), source...)
}
func prefixSourceKeys(m MailboxID) []byte { return be64([]byte{tSourceKey}, uint64(m)) }
func keyBlob(b BlobID) []byte             { return be64([]byte{tBlob}, uint64(b)) }
func keyChunk(b BlobID, i uint32) []byte  { return be32(be64([]byte{tChunk}, uint64(b)), i) }
func prefixChunks(b BlobID) []byte        { return be64([]byte{tChunk}, uint64(b)) }
func keyHash(h [hashSize]byte) []byte     { return append([]byte{tHash}, h[:]...) }
func keyStructure(b BlobID) []byte        { return be64([]byte{tStructure}, uint64(b)) }
func keyOrphanBlob(b BlobID) []byte       { return be64([]byte{tOrphanBlob}, uint64(b)) }
func keySequence(name string) []byte      { return append([]byte{tSequence}, name...) }
func keyGlobal(name string) []byte        { return append([]byte{tGlobal}, name...) }

// keyUIDValidityFloor holds the largest UIDVALIDITY of any deleted account:
// a re-created account of the same name must not hand out its values again.
var keyUIDValidityFloor = keyGlobal("uidvalidity-floor")

// decodedKey is a key split into its fields; which fields are set depends on
// the table. It exists for the consistency checker and the round-trip fuzz test.
type decodedKey struct {
	Table   byte
	Account AccountID
	Mailbox MailboxID
	UID     UID
	Blob    BlobID
	Chunk   uint32
	Hash    [hashSize]byte
	Name    string
}

// decodeKey is the inverse of the key* functions above.
func decodeKey(k []byte) (decodedKey, error) {
	if len(k) == 0 {
		return decodedKey{}, fmt.Errorf("empty key")
	}
	d := decodedKey{Table: k[0]}
	rest := k[1:]
	need := func(n int) error {
		if len(rest) < n {
			return fmt.Errorf("key for table %q: %d bytes, want at least %d", d.Table, len(k), n+1)
		}
		return nil
	}
	exact := func(n int) error {
		if len(rest) != n {
			return fmt.Errorf("key for table %q: %d bytes, want %d", d.Table, len(k), n+1)
		}
		return nil
	}
	u64 := func() uint64 { v := binary.BigEndian.Uint64(rest); rest = rest[8:]; return v }
	u32 := func() uint32 { v := binary.BigEndian.Uint32(rest); rest = rest[4:]; return v }
	switch d.Table {
	case tAccount:
		if err := exact(idSize); err != nil {
			return d, err
		}
		d.Account = AccountID(u64())
	case tAccountName, tSequence, tGlobal:
		d.Name = string(rest)
	case tMailbox:
		if err := exact(2 * idSize); err != nil {
			return d, err
		}
		d.Account, d.Mailbox = AccountID(u64()), MailboxID(u64())
	case tMailboxName, tDeletedName:
		if err := need(idSize); err != nil {
			return d, err
		}
		d.Account = AccountID(u64())
		d.Name = string(rest)
	case tUIDL:
		if err := need(idSize); err != nil {
			return d, err
		}
		d.Account = AccountID(u64())
		d.Name = string(rest)
	case tDeadMailbox:
		if err := exact(idSize); err != nil {
			return d, err
		}
		d.Mailbox = MailboxID(u64())
	case tMessage, tTombstone:
		if err := exact(idSize + uidSize); err != nil {
			return d, err
		}
		d.Mailbox, d.UID = MailboxID(u64()), UID(u32())
	case tSourceKey:
		if err := need(idSize); err != nil {
			return d, err
		}
		d.Mailbox = MailboxID(u64())
		d.Name = string(rest)
	case tBlob, tStructure, tOrphanBlob:
		if err := exact(idSize); err != nil {
			return d, err
		}
		d.Blob = BlobID(u64())
	case tChunk:
		if err := exact(idSize + chunkIndexSize); err != nil {
			return d, err
		}
		d.Blob, d.Chunk = BlobID(u64()), u32()
	case tHash:
		if err := exact(hashSize); err != nil {
			return d, err
		}
		copy(d.Hash[:], rest)
	default:
		return d, fmt.Errorf("unknown table %q", d.Table)
	}
	return d, nil
}

// encodeKey is the inverse of decodeKey.
func encodeKey(d decodedKey) []byte {
	switch d.Table {
	case tAccount:
		return keyAccount(d.Account)
	case tAccountName:
		return keyAccountName(d.Name)
	case tSequence:
		return keySequence(d.Name)
	case tGlobal:
		return keyGlobal(d.Name)
	case tMailbox:
		return keyMailbox(d.Account, d.Mailbox)
	case tMailboxName:
		return keyMailboxName(d.Account, d.Name)
	case tDeletedName:
		return keyDeletedName(d.Account, d.Name)
	case tUIDL:
		return keyUIDL(d.Account, d.Name)
	case tDeadMailbox:
		return keyDeadMailbox(d.Mailbox)
	case tMessage:
		return keyMessage(d.Mailbox, d.UID)
	case tTombstone:
		return keyTombstone(d.Mailbox, d.UID)
	case tSourceKey:
		return keySourceKey(d.Mailbox, d.Name)
	case tBlob:
		return keyBlob(d.Blob)
	case tStructure:
		return keyStructure(d.Blob)
	case tOrphanBlob:
		return keyOrphanBlob(d.Blob)
	case tChunk:
		return keyChunk(d.Blob, d.Chunk)
	case tHash:
		return keyHash(d.Hash)
	}
	return nil
}
