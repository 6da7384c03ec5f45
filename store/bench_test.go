package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Store benchmarks. Run them with:
//
//	go test -run=^$ -bench=. -benchtime=2s ./store/
//
// They print appends/s and MB/s for 4 KB and 1 MB messages (fsync on, as
// served, and off, for comparison), parallel appends to several accounts
// (badger groups their fsyncs), the time and memory to list the UIDs and
// flags of a 100,000-message mailbox, and the bytes on disk per message.

func benchStore(b *testing.B, noSync bool) *Store {
	b.Helper()
	s, err := Open(context.Background(), b.TempDir(), Options{NoSync: noSync, GCInterval: -1, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// benchMessage is a realistic message of about size bytes: headers, then
// 76-character lines of text. Each call gives different bytes (no dedupe).
func benchMessage(size, n int) []byte {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "Return-Path: <sender@example.org>\r\nReceived: from mx.example.org by mail.example.net; Mon, 2 Jan 2023 10:00:00 +0000\r\n"+
		"From: Sender Name <sender@example.org>\r\nTo: Some One <someone@example.net>\r\nSubject: benchmark message %d\r\n"+
		"Date: Mon, 2 Jan 2023 10:00:00 +0000\r\nMessage-ID: <%d.bench@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", n, n)
	line := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 2)[:74] + "\r\n")
	for i := 0; buf.Len() < size; i++ {
		copy(line, fmt.Sprintf("%08d-%08d ", n, i))
		buf.Write(line)
	}
	return buf.Bytes()
}

func benchAppend(b *testing.B, size int, noSync bool) {
	s := benchStore(b, noSync)
	acc := newTestAccount(b, s, "bench")
	inbox := mustMailbox(b, s, acc.ID, "INBOX")
	msgs := make([][]byte, 64)
	for i := range msgs {
		msgs[i] = benchMessage(size, i)
	}
	b.SetBytes(int64(len(msgs[0])))
	b.ResetTimer()
	start := time.Now()
	n := 0
	for b.Loop() {
		// Vary the first line so that no two appends share a blob.
		m := msgs[n%len(msgs)]
		copy(m[len(m)-12:], fmt.Sprintf("%010d\r\n", n))
		if _, err := s.Append(context.Background(), acc.ID, inbox.ID, bytes.NewReader(m), AppendOptions{}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "appends/s")
}

func BenchmarkAppend4KB(b *testing.B)       { benchAppend(b, 4<<10, false) }
func BenchmarkAppend1MB(b *testing.B)       { benchAppend(b, 1<<20, false) }
func BenchmarkAppend4KBNoSync(b *testing.B) { benchAppend(b, 4<<10, true) }
func BenchmarkAppend1MBNoSync(b *testing.B) { benchAppend(b, 1<<20, true) }

// BenchmarkAppend4KBParallel: appends from 8 goroutines to 8 accounts, as
// concurrent LMTP deliveries do. Badger's write loop commits concurrent
// transactions with one fsync, so this measures its group commit.
func BenchmarkAppend4KBParallel(b *testing.B) {
	s := benchStore(b, false)
	const writers = 8
	var boxes [writers]Mailbox
	for i := range boxes {
		acc := newTestAccount(b, s, fmt.Sprintf("bench%d", i))
		boxes[i] = mustMailbox(b, s, acc.ID, "INBOX")
	}
	b.SetBytes(4 << 10)
	var next atomic.Int64
	start := time.Now()
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(mb Mailbox) {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				m := benchMessage(4<<10, int(n))
				if _, err := s.Append(context.Background(), mb.Account, mb.ID, bytes.NewReader(m), AppendOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		}(boxes[w])
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
}

// BenchmarkImport4KB: the import path in batches of 100 (one commit each).
func BenchmarkImport4KB(b *testing.B) {
	s := benchStore(b, false)
	acc := newTestAccount(b, s, "bench")
	mb, err := s.ImportMailbox(context.Background(), acc.ID, ImportMailboxSpec{Name: "Imported", UIDValidity: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4 << 10)
	start := time.Now()
	uid := UID(0)
	b.ResetTimer()
	for done := 0; done < b.N; {
		batch := make([]ImportMessage, 0, 100)
		for len(batch) < 100 && done+len(batch) < b.N {
			uid++
			batch = append(batch, ImportMessage{UID: uid, Body: bytes.NewReader(benchMessage(4<<10, int(uid))), Flags: []string{`\Seen`}})
		}
		if _, err := s.Import(context.Background(), acc.ID, mb.ID, batch, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		done += len(batch)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// fillMailbox imports n messages of about size bytes, with some flags.
func fillMailbox(b *testing.B, s *Store, a AccountID, name string, n, size int) Mailbox {
	ctx := context.Background()
	mb, err := s.ImportMailbox(ctx, a, ImportMailboxSpec{Name: name, UIDValidity: 1})
	if err != nil {
		b.Fatal(err)
	}
	flagSets := [][]string{{`\Seen`}, {`\Seen`, `\Answered`}, nil, {`\Seen`, "$Label1"}, {`\Flagged`}}
	for uid := 1; uid <= n; {
		batch := make([]ImportMessage, 0, 500)
		for len(batch) < 500 && uid <= n {
			batch = append(batch, ImportMessage{UID: UID(uid), Body: bytes.NewReader(benchMessage(size, uid)), Flags: flagSets[uid%len(flagSets)]})
			uid++
		}
		if _, err := s.Import(ctx, a, mb.ID, batch, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	return mb
}

// BenchmarkList100k: Messages() of a 100,000-message mailbox: the seq/UID
// map and flags an IMAP SELECT or POP3 login needs.
func BenchmarkList100k(b *testing.B) {
	const n = 100_000
	s := benchStore(b, true)
	acc := newTestAccount(b, s, "bench")
	mb := fillMailbox(b, s, acc.ID, "Big", n, 2<<10)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		msgs, err := s.Messages(context.Background(), acc.ID, mb.ID)
		if err != nil || len(msgs) != n {
			b.Fatalf("%d messages, %v", len(msgs), err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "MB-alloc/op")
}

// BenchmarkDiskPerMessage: bytes on disk per stored 4 KB message, after the
// store is closed (memtables flushed). Reported once; the loop is not timed work.
func BenchmarkDiskPerMessage(b *testing.B) {
	const n = 20_000
	dir := b.TempDir()
	s, err := Open(context.Background(), dir, Options{NoSync: true, GCInterval: -1, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	acc := newTestAccount(b, s, "bench")
	fillMailbox(b, s, acc.ID, "Big", n, 4<<10)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	var total int64
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	for b.Loop() {
	}
	b.ReportMetric(float64(total)/n, "disk-bytes/msg")
	b.ReportMetric(float64(len(benchMessage(4<<10, 1))), "msg-bytes")
}

// BenchmarkAppend50MBMemory reports the peak heap while appending a 50 MB
// message from a stream: it must stay far below the message size, since
// large bodies are written to chunks as they arrive.
func BenchmarkAppend50MBMemory(b *testing.B) {
	s := benchStore(b, false)
	acc := newTestAccount(b, s, "bench")
	inbox := mustMailbox(b, s, acc.ID, "INBOX")
	const size = 50 << 20
	b.SetBytes(size)
	// Collect eagerly, so that the peak measures live memory rather than
	// garbage the collector has not got to yet.
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	var peak, base uint64
	for i := 0; b.Loop(); i++ {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base = maxU64(base, ms.HeapInuse)
		stop := make(chan struct{})
		done := make(chan uint64)
		go func() {
			var m runtime.MemStats
			var max uint64
			for {
				runtime.ReadMemStats(&m)
				max = maxU64(max, m.HeapInuse)
				select {
				case <-stop:
					done <- max
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		body := &patternReader{left: size, seed: byte(i)}
		if _, err := s.Append(context.Background(), acc.ID, inbox.ID, body, AppendOptions{}); err != nil {
			b.Fatal(err)
		}
		close(stop)
		peak = maxU64(peak, <-done)
	}
	// The baseline includes badger's preallocated memtable arena (64 MiB).
	b.ReportMetric(float64(base)/(1<<20), "base-heap-MB")
	b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "growth-MB")
}

func maxU64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// patternReader yields size bytes of text lines without holding them.
type patternReader struct {
	left int
	seed byte
	n    int
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.left)
	for i := 0; i < n; i++ {
		if r.n%78 == 77 {
			p[i] = '\n'
		} else {
			p[i] = 'a' + byte((r.n+int(r.seed))%26)
		}
		r.n++
	}
	r.left -= n
	return n, nil
}
