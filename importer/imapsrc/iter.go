package imapsrc

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/importer/spool"
	"github.com/ferrymail/ferrymail/store"
)

// iter yields the listed messages; bodies are fetched when Open asks.
type iter struct {
	s        *Source
	ctx      context.Context
	box      string
	metas    []MessageMeta
	seqUID   map[uint32]uint32
	i        int
	cache    map[uint32]*spool.Body // bodies fetched ahead, by UID
	run      int                    // the next batch's size
	lastOpen int                    // the index Open was last called for
	conn     int                    // Source.connects when the listing was made
}

// seqs returns the listing's sequence numbers while they hold: on the
// connection that listed them (fetchBodies clears them on EXPUNGE).
func (it *iter) seqs() map[uint32]uint32 {
	if it.s.connects != it.conn {
		clear(it.seqUID)
	}
	return it.seqUID
}

func (it *iter) Next() (*importer.Message, error) {
	s := it.s
	if s.fatal != nil {
		return nil, s.fatal
	}
	if it.i >= len(it.metas) {
		return nil, io.EOF
	}
	idx := it.i
	it.i++
	m := it.metas[idx]
	msg := &importer.Message{
		UID: store.UID(m.UID), Flags: m.Flags, InternalDate: m.InternalDate, ModSeq: m.ModSeq,
		SourceKey: sourceKey(s.curUV, m.UID),
		Where:     fmt.Sprintf("%s/%s UID %d", s.name(), it.box, m.UID),
		Warnings:  s.takeWarnings(),
	}
	if m.InternalDate.IsZero() {
		msg.Warnings = append(msg.Warnings, msg.Where+": the server gave no readable INTERNALDATE")
	}
	msg.Open = func() (io.ReadCloser, error) {
		body, err := it.open(idx)
		msg.Warnings = append(msg.Warnings, s.takeWarnings()...)
		if err == nil && m.Size >= 0 && body.Size() != m.Size {
			msg.Warnings = append(msg.Warnings, fmt.Sprintf("%s: %d octets received, RFC822.SIZE said %d: the octets received are stored", msg.Where, body.Size(), m.Size))
		}
		return body, err
	}
	return msg, nil
}

func (it *iter) Close() error {
	it.dropCache()
	return nil
}

func (it *iter) dropCache() {
	for uid, b := range it.cache {
		b.Close()
		delete(it.cache, uid)
	}
}

// bodyReader is a fetched body: a spool, or header and text put together.
type bodyReader interface {
	io.ReadCloser
	Size() int64
}

// open returns the body of metas[idx]: fetched ahead, or fetched now
// with the ones after it.
func (it *iter) open(idx int) (bodyReader, error) {
	uid := it.metas[idx].UID
	consecutive := idx == it.lastOpen+1
	it.lastOpen = idx
	if b, ok := it.cache[uid]; ok {
		delete(it.cache, uid)
		return b, nil
	}
	// What is left in the cache was skipped by the importer.
	it.dropCache()
	if consecutive {
		it.run = min(2*it.run, it.s.o.BatchCount)
	} else {
		it.run = 1
	}
	var batch []uint32
	var bytes int64
	for j := idx; j < len(it.metas) && len(batch) < it.run; j++ {
		if len(batch) > 0 && bytes+max(it.metas[j].Size, 0) > it.s.o.BatchBytes {
			break
		}
		batch = append(batch, it.metas[j].UID)
		bytes += max(it.metas[j].Size, 0)
	}
	if len(batch) > 1 {
		err := it.s.do(it.ctx, 1, func(c *Client) error {
			return c.fetchBodies(batch, "BODY.PEEK[]", it.seqs(), it.keep)
		})
		if it.s.fatal != nil || it.ctx.Err() != nil {
			return nil, err
		}
		if err != nil {
			// One message may be what the server cannot send: the
			// rest of this batch is fetched one by one.
			it.run = 1
			it.s.warn(fmt.Sprintf("UID FETCH %s (BODY.PEEK[]) in %q: %v; fetching those messages one by one", uidSet(batch), it.box, err))
		}
		if b, ok := it.cache[uid]; ok {
			delete(it.cache, uid)
			return b, nil
		}
	}
	return it.fetchOne(uid)
}

// keep puts a fetched body in the cache.
func (it *iter) keep(f *fetched) {
	if b, ok := f.bodies[""]; ok {
		delete(f.bodies, "")
		if old, dup := it.cache[f.uid]; dup {
			old.Close()
		}
		it.cache[f.uid] = b
	}
	f.release()
}

// fetchOne fetches one message alone, each standard way in turn.
func (it *iter) fetchOne(uid uint32) (bodyReader, error) {
	var reasons []string
	for _, items := range []string{"BODY.PEEK[]", "BODY.PEEK[HEADER] BODY.PEEK[TEXT]"} {
		var got *fetched
		err := it.s.do(it.ctx, triesPerMessage, func(c *Client) error {
			if got != nil {
				got.release()
				got = nil
			}
			return c.fetchBodies([]uint32{uid}, items, it.seqs(), func(f *fetched) {
				if f.uid != uid || got != nil {
					f.release()
					return
				}
				got = f
			})
		})
		if it.s.fatal != nil || it.ctx.Err() != nil {
			if got != nil {
				got.release()
			}
			return nil, err
		}
		if body := assemble(got, items); body != nil {
			return body, nil
		}
		switch {
		case err != nil:
			reasons = append(reasons, fmt.Sprintf("(%s): %v", items, err))
		case got == nil:
			reasons = append(reasons, fmt.Sprintf("(%s): no FETCH response for the message", items))
		default:
			reasons = append(reasons, fmt.Sprintf("(%s): the server sent NIL or no body", items))
		}
		if got != nil {
			got.release()
		}
	}
	return nil, fmt.Errorf("UID FETCH %d failed every standard way: %s", uid, strings.Join(reasons, "; "))
}

// assemble takes the body out of a fetch response: BODY[], or HEADER and
// TEXT together. nil when it is not all there.
func assemble(f *fetched, items string) bodyReader {
	if f == nil {
		return nil
	}
	if items == "BODY.PEEK[]" {
		if b, ok := f.bodies[""]; ok {
			delete(f.bodies, "")
			return b
		}
		return nil
	}
	h, okh := f.bodies["HEADER"]
	t, okt := f.bodies["TEXT"]
	if !okh || !okt {
		return nil
	}
	delete(f.bodies, "HEADER")
	delete(f.bodies, "TEXT")
	return newConcat(h, t)
}
