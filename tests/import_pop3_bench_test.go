package tests

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkImportPOP3Dovecot measures "ferrymail import pop3" from a local
// Dovecot 2.3 POP3 server: FERRYMAIL_BENCH_N messages (default 5,000) of
// ~4.2 KB in Dovecot's INBOX Maildir, imported into a new account per
// iteration. Side by side it measures a bare download of the same messages
// (login, RETR each, QUIT; nothing stored), so the ratio says what the
// import costs beyond reading the server.
//
//	go test -run '^$' -bench ImportPOP3Dovecot -benchtime 3x ./tests
func BenchmarkImportPOP3Dovecot(b *testing.B) {
	needDovecot(b)
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("FERRYMAIL_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	d := startDovecot(b, "maildir:~/Maildir", "")
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = fmt.Sprintf("From: sender@example.org\nTo: alice@example.org\nSubject: message %d\nMessage-ID: <%d@bench>\n\n%s\n",
			i, i, strings.Repeat("some body text for the benchmark, about sixty bytes a line.\n", 68))
	}
	fillDovecotInbox(b, d, 0, bodies)
	addr := fmt.Sprintf("127.0.0.1:%d", d.pop3Port)
	// Dovecot's first look at new/ (moving files to cur/, writing its
	// uidlist and index) is not part of either measurement.
	if got := len(pop3Listing(b, addr, "alice", "pw")); got != n {
		b.Fatalf("Dovecot lists %d messages, want %d", got, n)
	}
	pwFile := filepath.Join(b.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("pw\n"), 0o600); err != nil {
		b.Fatal(err)
	}

	var importTime, downloadTime time.Duration
	var bytes int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		data := filepath.Join(b.TempDir(), "data")
		mustSucceed(b, "pw\n", "user", "add", "--data", data, "alice")
		b.StartTimer()
		start := time.Now()
		r := ferrymail(b, "", "import", "pop3", "--data", data, "--to", "alice", "--host", addr, "--user", "alice", "--password-file", pwFile)
		importTime += time.Since(start)
		if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d messages imported", n)) {
			b.Fatalf("import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		b.StopTimer()
		start = time.Now()
		bytes = pop3DownloadAll(b, addr, "alice", "pw", n)
		downloadTime += time.Since(start)
		b.StartTimer()
	}
	b.StopTimer()
	msgs := float64(n * b.N)
	b.ReportMetric(msgs/importTime.Seconds(), "import-msgs/s")
	b.ReportMetric(float64(bytes)*float64(b.N)/1e6/importTime.Seconds(), "import-MB/s")
	b.ReportMetric(msgs/downloadTime.Seconds(), "download-msgs/s")
	b.ReportMetric(downloadTime.Seconds()/importTime.Seconds(), "download/import")
}

// pop3DownloadAll RETRs messages 1..n and returns the octets read.
func pop3DownloadAll(b *testing.B, addr, user, pass string, n int) int64 {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriter(c)
	line := func() string {
		l, err := r.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		return l
	}
	cmd := func(s string) {
		w.WriteString(s + "\r\n")
		w.Flush()
		if l := line(); !strings.HasPrefix(l, "+OK") {
			b.Fatalf("%s: %q", s, l)
		}
	}
	line()
	cmd("USER " + user)
	cmd("PASS " + pass)
	var total int64
	for i := 1; i <= n; i++ {
		cmd("RETR " + strconv.Itoa(i))
		for l := line(); l != ".\r\n"; l = line() {
			total += int64(len(l))
		}
	}
	cmd("QUIT")
	return total
}
