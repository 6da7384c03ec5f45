package pop3

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer for a logger used by several sessions.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogging: one line per command with user, remote, duration and
// outcome; passwords never appear, in any form.
func TestLogging(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnvLog(t, testOptions(), logger)
	e.deliver(testBodies[0])
	c := e.dial()
	c.mustOK("USER " + testUser)
	c.mustErr("PASS wrong-secret-1", "-ERR [AUTH]")
	c.mustErr("AUTH PLAIN "+plain("", testUser, "wrong-secret-2"), "-ERR [AUTH]")
	c.mustErr("APOP alice wrong-secret-3", "-ERR")
	c.mustOK("USER " + testUser)
	c.mustOK("PASS " + testPass)
	c.mustOK("STAT")
	c.mustOK("QUIT")
	c.expectClosed()
	waitFor(t, "the session end to be logged", func() bool { return strings.Contains(buf.String(), "pop3 session end") })

	log := buf.String()
	for _, secret := range []string{"wrong-secret-1", "wrong-secret-2", "wrong-secret-3", testPass, "horse",
		plain("", testUser, "wrong-secret-2"), base64.StdEncoding.EncodeToString([]byte(testPass))} {
		if strings.Contains(log, secret) {
			t.Errorf("the log contains %q:\n%s", secret, log)
		}
	}
	var stat string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "cmd=STAT") {
			stat = line
		}
	}
	for _, want := range []string{"msg=\"pop3 command\"", "user=alice", "remote=127.0.0.1:", "duration=", "outcome=ok", "cid="} {
		if !strings.Contains(stat, want) {
			t.Errorf("STAT's log line lacks %s: %s", want, stat)
		}
	}
	if n := strings.Count(log, "msg=\"pop3 command\""); n != 8 {
		t.Errorf("%d command lines, want 8:\n%s", n, log)
	}
}
