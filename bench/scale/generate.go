package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// The generated mailbox. Every message is a function of (seed, index), so
// both servers get the same bytes without keeping them in memory, and a
// run with the same flags gives the same mailbox.
//
// Sizes follow a log-normal distribution with a median of 4 KiB and a long
// tail (sigma 0.8: the mean is about 5.5 KiB, 1 in 1,000 is above 48 KiB),
// clipped to [600 B, 2 MiB]. Headers vary From, To, Subject and Date, so that
// a header SEARCH has work; a rare subject word and a rare body word give
// the SEARCH commands a known, small answer.

const (
	medianSize  = 4 << 10
	sizeSigma   = 0.8
	minSize     = 600
	maxSize     = 2 << 20
	rareSubject = "xyzzy"      // in the Subject of 1 message in 1,000
	rareBody    = "frobnicate" // in the body of 1 message in 100
)

var words = []string{
	"meeting", "report", "invoice", "project", "update", "schedule", "review", "budget", "release",
	"customer", "order", "shipping", "question", "proposal", "contract", "agenda", "minutes",
	"deadline", "travel", "conference", "offer", "payment", "account", "server", "backup", "network",
	"holiday", "lunch", "team", "quarter", "results", "design", "draft", "feedback", "support",
	"ticket", "issue", "patch", "build", "test", "deploy", "migration", "mailbox", "calendar",
	"the", "a", "and", "of", "to", "in", "for", "on", "with", "is", "this", "that", "we", "you",
	"please", "thanks", "regards", "see", "attached", "below", "next", "week", "today", "tomorrow",
}

var firstNames = []string{"Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
	"Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Uma", "Victor", "Wendy"}
var lastNames = []string{"Smith", "Jones", "Müller", "Dubois", "Rossi", "Novak", "Tanaka", "Silva",
	"Kowalski", "Larsen", "Okafor", "Haddad", "Nguyen", "Schmidt", "García", "Bauer"}
var domains = []string{"example.com", "example.org", "example.net", "mail.example.de", "corp.example"}

// message is one generated message's attributes.
type message struct {
	uid   uint32
	date  time.Time
	flags []string // IMAP flags
	body  []byte   // CRLF line ends
}

// flagMixes is a realistic spread: most mail read, some answered or
// flagged, a little unread or deleted.
var flagMixes = [][]string{
	{`\Seen`}, {`\Seen`}, {`\Seen`}, {`\Seen`}, {`\Seen`}, {`\Seen`}, {`\Seen`, `\Answered`},
	{`\Seen`, `\Flagged`}, {}, {`\Seen`, `\Deleted`},
}

// generator makes the messages of one mailbox.
type generator struct {
	seed  uint64
	start time.Time // INTERNALDATE of UID 1; later UIDs are later
	buf   bytes.Buffer
}

func newGenerator(seed uint64) *generator {
	return &generator{seed: seed, start: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// size draws message i's size.
func (g *generator) size(rng *rand.Rand) int {
	s := medianSize * math.Exp(sizeSigma*rng.NormFloat64())
	return int(min(max(s, minSize), maxSize))
}

// message returns message i (UID i). The returned body is valid until the
// next call.
func (g *generator) message(i uint32) message {
	rng := rand.New(rand.NewPCG(g.seed, uint64(i)))
	date := g.start.Add(time.Duration(i)*3*time.Minute + time.Duration(rng.IntN(120))*time.Second)
	size := g.size(rng)
	b := &g.buf
	b.Reset()
	from := pick(rng, firstNames) + " " + pick(rng, lastNames)
	fromAddr := lower(from) + "@" + pick(rng, domains)
	subject := pick(rng, words) + " " + pick(rng, words) + " " + pick(rng, words) + " #" + strconv.Itoa(int(i))
	if rng.IntN(1000) == 0 {
		subject = rareSubject + " " + subject
	}
	b.WriteString("Return-Path: <" + fromAddr + ">\r\n")
	b.WriteString("Received: from mx" + strconv.Itoa(rng.IntN(9)) + ".example.net by mail.example.com with ESMTPS id " +
		strconv.FormatUint(rng.Uint64(), 36) + "; " + date.Format(time.RFC1123Z) + "\r\n")
	b.WriteString("From: " + from + " <" + fromAddr + ">\r\n")
	b.WriteString("To: Alice Example <alice@example.com>\r\n")
	b.WriteString("Subject: " + subject + "\r\n")
	b.WriteString("Date: " + date.Format(time.RFC1123Z) + "\r\n")
	b.WriteString("Message-ID: <" + strconv.Itoa(int(i)) + "." + strconv.FormatUint(rng.Uint64(), 36) + "@" + pick(rng, domains) + ">\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	rare := rng.IntN(100) == 0
	line := 0
	for b.Len() < size {
		n := 0
		for n < 70 {
			w := pick(rng, words)
			if rare && line == 3 && n == 0 {
				w = rareBody
			}
			b.WriteString(w)
			b.WriteByte(' ')
			n += len(w) + 1
		}
		b.WriteString("\r\n")
		line++
	}
	return message{uid: i, date: date, flags: flagMixes[rng.IntN(len(flagMixes))], body: b.Bytes()}
}

func pick(rng *rand.Rand, list []string) string { return list[rng.IntN(len(list))] }

func lower(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			out = append(out, c+'a'-'A')
		case c == ' ':
			out = append(out, '.')
		case c < 0x80:
			out = append(out, c)
		}
	}
	return string(out)
}
