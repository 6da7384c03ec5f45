package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// BenchmarkImportIMAPDovecot measures "ferrymail import imap" from a local
// Dovecot 2.3, side by side with Dovecot's own migration tool, "doveadm
// backup" (dsync reading the same source over IMAP with imapc, writing a
// fresh Dovecot's Maildir), and reports messages/s and MB/s of both and
// their ratio. The source holds FERRYMAIL_BENCH_IMAP_N messages (default
// 2,000; the figure is 20,000) in three mailboxes, sized like real
// mail: median about 4 KB, one in 97 of 150 KB, with flags.
//
//	FERRYMAIL_BENCH_IMAP_N=20000 go test -run '^$' -bench ImportIMAPDovecot -benchtime 1x ./tests
func BenchmarkImportIMAPDovecot(b *testing.B) {
	needDovecot(b)
	if _, err := os.Stat("/usr/bin/doveadm"); err != nil {
		b.Skip("doveadm is not installed (dovecot-core)")
	}
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("FERRYMAIL_BENCH_IMAP_N")); err == nil && v > 0 {
		n = v
	}
	src := startDovecot(b, "maildir:~/Maildir", "")
	total := fillDovecotMaildir(b, src, n)
	// Dovecot's first look at the files (its uidlists and indexes) is not
	// part of either measurement.
	warmDovecot(b, src)
	pwFile := filepath.Join(b.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("pw\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	host := fmt.Sprintf("127.0.0.1:%d", src.imapPort)

	var importTime, dsyncTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		data := filepath.Join(b.TempDir(), "data")
		mustSucceed(b, "pw\n", "user", "add", "--data", data, "alice")
		dst := startDovecot(b, "maildir:~/Maildir", "")
		b.StartTimer()

		start := time.Now()
		out := runLong(b, binary, "import", "imap", "--data", data, "--to", "alice", "--host", host,
			"--user", "alice", "--password-file", pwFile, "--tls", "none")
		importTime += time.Since(start)
		if i == 0 {
			b.Logf("ferrymail import imap:\n%s", imapTail(out, 8))
		}

		start = time.Now()
		// doveadm backup -R: one-way, from the imapc: location (the source
		// over IMAP) into the user's own mail at dst (doveadm-backup(1),
		// "Migrating from any IMAP/POP3 server to Dovecot via dsync").
		runLong(b, "/usr/bin/doveadm", "-c", dst.conf,
			"-o", "imapc_host=127.0.0.1", "-o", "imapc_port="+strconv.Itoa(src.imapPort),
			"-o", "imapc_user=alice", "-o", "imapc_password=pw", "-o", "imapc_features=rfc822.size fetch-headers",
			"-o", "mail_fsync=never", "backup", "-R", "-u", "alice", "imapc:")
		dsyncTime += time.Since(start)
		b.StopTimer()
		if got := countMaildir(b, filepath.Join(dst.home, "alice", "Maildir")); got != n {
			b.Fatalf("doveadm backup wrote %d messages, want %d", got, n)
		}
		b.StartTimer()
	}
	b.StopTimer()
	msgs, mb := float64(n*b.N), float64(total)*float64(b.N)/1e6
	b.ReportMetric(msgs/importTime.Seconds(), "ferrymail-msgs/s")
	b.ReportMetric(mb/importTime.Seconds(), "ferrymail-MB/s")
	b.ReportMetric(msgs/dsyncTime.Seconds(), "dsync-msgs/s")
	b.ReportMetric(mb/dsyncTime.Seconds(), "dsync-MB/s")
	b.ReportMetric(dsyncTime.Seconds()/importTime.Seconds(), "dsync-time/ferrymail-time")
}

// fillDovecotMaildir writes n messages into alice's Maildir++ at d:
// INBOX, .Archive and .Archive.2019, as a delivery agent and mail clients
// would have left them (cur/ with flags), and returns their total size.
func fillDovecotMaildir(b *testing.B, d *dovecotProc, n int) int64 {
	b.Helper()
	md := filepath.Join(d.home, "alice", "Maildir")
	folders := []string{md, filepath.Join(md, ".Archive"), filepath.Join(md, ".Archive.2019")}
	for _, f := range folders {
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(f, sub), 0o700); err != nil {
				b.Fatal(err)
			}
		}
	}
	var total int64
	for i := range n {
		size := []int{300, 900, 1800, 2800, 3800, 4400, 5200, 6800, 9500, 24000}[i%10]
		if i%97 == 0 {
			size = 150000
		}
		var m bytes.Buffer
		fmt.Fprintf(&m, "From: Sender %d <s%d@example.org>\r\nTo: alice@example.org\r\nSubject: message %d\r\nMessage-ID: <%d@bench.example>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n", i, i, i, i)
		line := fmt.Sprintf("line of message %d, to make it the size of real mail\r\n", i)
		for m.Len() < size {
			m.WriteString(line)
		}
		flags := ""
		if i%3 != 0 {
			flags += "S"
		}
		if i%5 == 0 {
			flags = "F" + flags
		}
		// Three in five in INBOX, the rest in the archives.
		folder := folders[[]int{0, 0, 0, 1, 2}[i%5]]
		name := fmt.Sprintf("%d.M%dP1.bench:2,%s", 1700000000+i, i, flags)
		if err := os.WriteFile(filepath.Join(folder, "cur", name), m.Bytes(), 0o600); err != nil {
			b.Fatal(err)
		}
		total += int64(m.Len())
	}
	fi, err := os.Stat(d.home)
	if err != nil {
		b.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	filepath.Walk(filepath.Join(d.home, "alice"), func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			err = os.Lchown(p, int(st.Uid), int(st.Gid))
		}
		return err
	})
	return total
}

// warmDovecot makes Dovecot index every mailbox (EXAMINE each).
func warmDovecot(b *testing.B, d *dovecotProc) {
	b.Helper()
	c, err := imapclient.DialInsecure(fmt.Sprintf("127.0.0.1:%d", d.imapPort), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", "pw").Wait(); err != nil {
		b.Fatal(err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range list {
		if _, err := c.Select(l.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1}}, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect(); err != nil {
			b.Fatal(err)
		}
	}
	c.Logout().Wait()
}

// countMaildir counts the message files of a Maildir++ tree.
func countMaildir(b *testing.B, root string) int {
	n := 0
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			if d := filepath.Base(filepath.Dir(p)); d == "cur" || d == "new" {
				n++
			}
		}
		return nil
	})
	return n
}

// runLong runs a command that may take minutes (a benchmark's import),
// bounded at 30, and fails the benchmark unless it exits 0.
func runLong(b *testing.B, name string, args ...string) string {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		b.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args[:min(len(args), 3)], " "), err, imapTail(string(out), 30))
	}
	return string(out)
}
