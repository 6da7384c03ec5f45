// Package tests drives the built ferrymail binary from outside, as an
// administrator and the outside checks of DESIGN.md do.
package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// binary is the ferrymail binary built once by TestMain for all tests.
var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "ferrymail-tests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "creating build directory:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	binary = filepath.Join(tmp, "ferrymail")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", binary, "./cmd/ferrymail")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ferrymail: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// moduleRoot finds the directory of go.mod above the working directory
// (go test runs in the package's directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding the module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

// commandTimeout bounds one command; every one of them takes well under a
// second when it works.
const commandTimeout = 20 * time.Second

// ferrymail runs the binary with args, stdin as standard input (nothing
// when ""), and returns what it did.
func ferrymail(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	if stdin != "" {
		cmd.Stdin = bytes.NewBufferString(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("ferrymail %q did not finish within %v; stderr:\n%s", args, commandTimeout, stderr.String())
	case err != nil && !errors.As(err, &exitErr):
		t.Fatalf("running ferrymail %q: %v", args, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// mustSucceed runs the binary and fails the test unless it exits 0 with
// nothing on stderr.
func mustSucceed(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	r := ferrymail(t, stdin, args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("ferrymail %q: exit %d, stderr:\n%s", args, r.code, r.stderr)
	}
	return r.stdout
}

// mustFail runs the binary and requires exit status code and exactly one
// line on stderr, prefixed "ferrymail: ", which it returns.
func mustFail(t *testing.T, code int, stdin string, args ...string) string {
	t.Helper()
	r := ferrymail(t, stdin, args...)
	if r.code != code {
		t.Fatalf("ferrymail %q: exit %d, want %d; stdout:\n%s\nstderr:\n%s", args, r.code, code, r.stdout, r.stderr)
	}
	lines := bytes.Split(bytes.TrimSuffix([]byte(r.stderr), []byte("\n")), []byte("\n"))
	if code == 1 && len(lines) != 1 {
		t.Errorf("ferrymail %q: %d lines on stderr, want one:\n%s", args, len(lines), r.stderr)
	}
	if !bytes.HasPrefix(lines[0], []byte("ferrymail: ")) {
		t.Errorf("ferrymail %q: stderr does not start with %q:\n%s", args, "ferrymail: ", r.stderr)
	}
	return string(lines[0])
}
