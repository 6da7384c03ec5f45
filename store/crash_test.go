package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The crash test: a writer process appends messages (small ones in one
// transaction, large ones streamed over several) and expunges some, printing
// an acknowledgement after each call returns. The test kills it with SIGKILL
// at random moments, reopens the store and checks that every acknowledged
// message is there byte for byte, that acknowledged expunges stuck, that no
// UID is ever handed out twice, and that the store is consistent.

const crashWriterEnv = "FERRYMAIL_CRASH_WRITER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashWriterEnv); dir != "" {
		runCrashWriter(dir)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCrashWriter is the child process. It never returns normally: it is killed.
func runCrashWriter(dir string) {
	ctx := context.Background()
	s, err := Open(ctx, dir, Options{MemTableSize: 8 << 20, GCInterval: -1, Logger: quietLogger()})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	acc, err := s.Account(ctx, "crash")
	if err != nil {
		if acc, err = s.CreateAccount(ctx, "crash", "pw"); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
	}
	inbox, err := s.Mailbox(ctx, acc.ID, "INBOX")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	fmt.Fprintln(out, "ready")
	out.Flush()
	for i := 0; ; i++ {
		if i%7 == 6 {
			msgs, err := s.Messages(ctx, acc.ID, inbox.ID)
			if err == nil && len(msgs) > 0 {
				victim := msgs[rng.IntN(len(msgs))].UID
				if gone, err := s.Expunge(ctx, acc.ID, inbox.ID, []UID{victim}); err == nil && len(gone) == 1 {
					fmt.Fprintf(out, "expunged %d\n", victim)
					out.Flush()
				}
			}
			continue
		}
		size := 200 + rng.IntN(4000)
		if i%10 == 3 {
			size = inlineMax + rng.IntN(2*inlineMax) // streamed over several transactions
		}
		body := crashBody(rng, size)
		res, err := s.Append(ctx, acc.ID, inbox.ID, strings.NewReader(body), AppendOptions{})
		if err != nil {
			fmt.Fprintln(out, "error", err)
			out.Flush()
			os.Exit(1)
		}
		sum := sha256.Sum256([]byte(body))
		fmt.Fprintf(out, "ack %d %s %d\n", res.Message.UID, hex.EncodeToString(sum[:]), len(body))
		out.Flush()
	}
}

func crashBody(rng *rand.Rand, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Subject: crash %d\r\nMessage-ID: <%d@crash>\r\n\r\n", rng.Uint64(), rng.Uint64())
	line := make([]byte, 76)
	for b.Len() < size {
		for i := range line {
			line[i] = byte('a' + rng.IntN(26))
		}
		b.Write(line)
		b.WriteString("\r\n")
	}
	return b.String()
}

type ackedMessage struct {
	hash string
	size int64
}

func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	cycles := 25
	acked := map[UID]ackedMessage{} // acknowledged and not acknowledged-expunged
	expunged := map[UID]bool{}
	everSeen := map[UID]bool{} // every UID acknowledged in any cycle
	maxUID := UID(0)
	rng := rand.New(rand.NewPCG(1, 2))
	totalAcks := 0
	for cycle := 0; cycle < cycles; cycle++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashWriterEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		var killAt <-chan time.Time
		deadline := time.After(30 * time.Second)
		killed := false
		for line := range lines {
			f := strings.Fields(line)
			switch f[0] {
			case "ready":
				// Kill at a random moment within the writing: ~5-60 appends in.
				killAt = time.After(time.Duration(20+rng.IntN(300)) * time.Millisecond)
			case "ack":
				uid := mustUID(t, f[1])
				size, _ := strconv.ParseInt(f[3], 10, 64)
				if everSeen[uid] {
					t.Fatalf("cycle %d: UID %d acknowledged twice (reused)", cycle, uid)
				}
				if uid <= maxUID {
					t.Fatalf("cycle %d: UID %d acknowledged after UID %d (not ascending)", cycle, uid, maxUID)
				}
				everSeen[uid], maxUID = true, uid
				acked[uid] = ackedMessage{hash: f[2], size: size}
				totalAcks++
			case "expunged":
				uid := mustUID(t, f[1])
				delete(acked, uid)
				expunged[uid] = true
			case "error":
				t.Fatalf("writer: %s", line)
			}
			select {
			case <-killAt:
				cmd.Process.Signal(syscall.SIGKILL)
				killed, killAt = true, nil
			case <-deadline:
				cmd.Process.Kill()
				t.Fatal("writer did not finish a cycle in 30 s")
			default:
			}
			if killed {
				// Drain what the writer printed before it died.
				for line := range lines {
					if f := strings.Fields(line); len(f) > 0 && f[0] == "ack" {
						uid := mustUID(t, f[1])
						size, _ := strconv.ParseInt(f[3], 10, 64)
						everSeen[uid], maxUID = true, max(maxUID, uid)
						acked[uid] = ackedMessage{hash: f[2], size: size}
						totalAcks++
					} else if len(f) > 1 && f[0] == "expunged" {
						uid := mustUID(t, f[1])
						delete(acked, uid)
						expunged[uid] = true
					}
				}
				break
			}
		}
		cmd.Wait()
		verifyAfterCrash(t, dir, cycle, acked, expunged, maxUID)
	}
	t.Logf("%d kill -9 cycles, %d acknowledged appends, %d acknowledged expunges: all held", cycles, totalAcks, len(expunged))
	if totalAcks < cycles {
		t.Errorf("only %d appends acknowledged over %d cycles: the test did not exercise writes", totalAcks, cycles)
	}
}

func mustUID(t *testing.T, s string) UID {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		t.Fatalf("bad UID %q", s)
	}
	return UID(v)
}

func verifyAfterCrash(t *testing.T, dir string, cycle int, acked map[UID]ackedMessage, expunged map[UID]bool, maxUID UID) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dir, Options{MemTableSize: 8 << 20, GCInterval: -1, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("cycle %d: reopening after kill -9: %v", cycle, err)
	}
	defer s.Close()
	if err := s.CheckConsistency(ctx); err != nil {
		t.Fatalf("cycle %d: inconsistent after kill -9:\n%v", cycle, err)
	}
	acc, err := s.Account(ctx, "crash")
	if err != nil {
		return // killed before the account was created
	}
	inbox := mustMailbox(t, s, acc.ID, "INBOX")
	if maxUID >= inbox.UIDNext {
		t.Fatalf("cycle %d: UIDNEXT %d not above acknowledged UID %d", cycle, inbox.UIDNext, maxUID)
	}
	msgs, err := s.Messages(ctx, acc.ID, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	present := map[UID]Message{}
	for _, m := range msgs {
		present[m.UID] = m
		if expunged[m.UID] {
			t.Fatalf("cycle %d: UID %d was acknowledged expunged but is back", cycle, m.UID)
		}
	}
	for uid, want := range acked {
		m, ok := present[uid]
		if !ok {
			t.Fatalf("cycle %d: acknowledged UID %d lost", cycle, uid)
		}
		body := readAll(t, s, acc.ID, inbox.ID, uid)
		sum := sha256.Sum256(body)
		if hex.EncodeToString(sum[:]) != want.hash || m.Size != want.size {
			t.Fatalf("cycle %d: UID %d differs from what was acknowledged", cycle, uid)
		}
	}
}
