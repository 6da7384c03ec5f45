package loadgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// sizeClass is one part of the message size distribution.
type sizeClass struct {
	weight   int // out of the sum of all weights
	min, max int // body bytes, inclusive
}

// messageSizes is a fixed distribution of body sizes, shaped like a
// typical mailbox: mostly short text, a tail of messages with attachments.
// It is fixed (not a flag) so that figures from different runs and
// machines are comparable.
var messageSizes = []sizeClass{
	{weight: 35, min: 500, max: 2_000},
	{weight: 35, min: 2_000, max: 8_000},
	{weight: 20, min: 8_000, max: 32_000},
	{weight: 8, min: 32_000, max: 128_000},
	{weight: 2, min: 128_000, max: 512_000},
}

// words make the body text look like text to a server that indexes it.
var words = strings.Fields(`the a of to and in is it you that he was for on are with as his they be at one
have this from or had by hot word but what some we can out other were all there when up use your how said an
each she which do their time if will way about many then them write would like so these her long make thing see
him two has look more day could go come did number sound no most people my over know water than call first who may
down side been now find any new work part take get place made live where after back little only round man year came
show every good me give our under name very through just form sentence great think say help low line differ turn
cause much mean before move right boy old too same tell does set three want air well also play small end put home
read hand port large spell add even land here must big high such follow act why ask men change went light kind off
need house picture try us again animal point mother world near build self earth father meeting invoice report`)

// Message returns message number n of the messages generated for seed:
// the same bytes for the same (seed, n), on any machine, so that two
// servers loaded with them hold identical mail. Lines end in CRLF.
func Message(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, uint64(n)^0x6d657373616765))
	size := drawSize(rng)
	date := messageDate(n)
	var b strings.Builder
	b.Grow(size + 600)
	fmt.Fprintf(&b, "Return-Path: <sender%d@example.org>\r\n", rng.IntN(50))
	fmt.Fprintf(&b, "From: Sender %d <sender%d@example.org>\r\n", n%50, n%50)
	b.WriteString("To: Bench User <user@example.net>\r\n")
	fmt.Fprintf(&b, "Subject: %s %d\r\n", sentence(rng, 3+rng.IntN(6)), n)
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%d.%d.%x@bench.example.org>\r\n", seed, n, rng.Uint64())
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n")
	b.WriteString("Content-Transfer-Encoding: 7bit\r\n\r\n")
	body := 0
	for body < size {
		line := sentence(rng, 6+rng.IntN(8)) + "\r\n"
		b.WriteString(line)
		body += len(line)
	}
	return []byte(b.String())
}

// drawSize draws a body size from messageSizes.
func drawSize(rng *rand.Rand) int {
	total := 0
	for _, c := range messageSizes {
		total += c.weight
	}
	r := rng.IntN(total)
	for _, c := range messageSizes {
		if r < c.weight {
			return c.min + rng.IntN(c.max-c.min+1)
		}
		r -= c.weight
	}
	return messageSizes[0].min
}

func sentence(rng *rand.Rand, n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = words[rng.IntN(len(words))]
	}
	return strings.Join(s, " ")
}

// messageDate is the Date of message n, and its INTERNALDATE when loaded:
// one every 17 minutes from the start of 2024.
func messageDate(n int) time.Time {
	return time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(n) * 17 * time.Minute)
}
