package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// TestBadRequests: lines that are not requests get a bad-request answer,
// and the connection goes on; an over-long line ends it.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	st := openStore(t, dir)
	startServer(t, dir, st)
	nc, err := net.Dial("unix", SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(nc)
	ask := func(line string) wireError {
		t.Helper()
		if _, err := nc.Write([]byte(line + "\n")); err != nil {
			t.Fatalf("writing %q: %v", line, err)
		}
		answer, err := r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("reading answer to %.40q: %v", line, err)
		}
		var resp struct{ Error *wireError }
		if err := json.Unmarshal(answer, &resp); err != nil {
			t.Fatalf("answer %q: %v", answer, err)
		}
		if resp.Error == nil {
			return wireError{}
		}
		return *resp.Error
	}
	for _, line := range []string{"not json", `{"op":"user.frob"}`, `{}`} {
		if got := ask(line); got.Kind != "bad-request" {
			t.Errorf("%q: answer %+v, want kind bad-request", line, got)
		}
	}
	if got := ask(`{"op":"user.list"}`); got.Kind != "" {
		t.Errorf("user.list after bad requests: %+v", got)
	}
	if got := ask(strings.Repeat("x", maxRequestLine+1)); got.Kind != "bad-request" {
		t.Errorf("over-long line: answer %+v, want kind bad-request", got)
	}
	if _, err := r.ReadByte(); err == nil {
		t.Errorf("connection still open after an over-long line")
	}
}

// TestShutdownClosesIdleConnections: an idle client does not hold up
// Shutdown, and learns that the server is gone.
func TestShutdownClosesIdleConnections(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	st := openStore(t, dir)
	ln, err := Listen(SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	srv := New(st, quietLogger())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	c := dial(t, dir)
	if _, err := c.Users(context.Background()); err != nil {
		t.Fatalf("Users: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v, want ErrServerClosed", err)
	}
	if _, err := c.Users(context.Background()); err == nil {
		t.Errorf("Users after Shutdown succeeded")
	}
	if _, err := Dial(context.Background(), SocketPath(dir)); err == nil {
		t.Errorf("Dial after Shutdown succeeded")
	}
}

// TestClientContext: a cancelled context ends a call without waiting for
// the server.
func TestClientContext(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	// A server that accepts and never answers.
	ln, err := Listen(SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err == nil {
			defer nc.Close()
			time.Sleep(10 * time.Second)
		}
	}()
	c := dial(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Users(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Users: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Users took %v after its context ended", d)
	}
	if _, err := c.Users(context.Background()); err == nil {
		t.Errorf("a connection with an answer outstanding was used again")
	}
}
