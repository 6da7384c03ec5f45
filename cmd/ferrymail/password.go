package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/ferrymail/ferrymail/server/admin"
)

// maxPasswordLength bounds a password read from stdin, so that a file piped
// in by mistake is refused rather than stored as a password.
const maxPasswordLength = 4096

// readNewPassword reads the password for account name from stdin, never
// from the command line, where other users can see it in ps and it stays in
// shell history. On a terminal it asks twice without echo; otherwise it
// reads one line.
func readNewPassword(ctx context.Context, e *env, name string) (string, error) {
	var pw string
	var err error
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		pw, err = promptPassword(ctx, int(f.Fd()), e.stderr, name)
	} else {
		pw, err = readPasswordLine(e.stdin)
	}
	if err != nil {
		return "", err
	}
	if pw == "" {
		return "", fmt.Errorf("%w (the password is read from standard input)", admin.ErrEmptyPassword)
	}
	return pw, nil
}

// readPasswordLine reads one line and strips its line ending (LF or CRLF).
func readPasswordLine(r io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, maxPasswordLength+2))
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading password from standard input: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if len(line) > maxPasswordLength {
		return "", fmt.Errorf("reading password from standard input: longer than %d bytes", maxPasswordLength)
	}
	return line, nil
}

// promptPassword asks for the password twice on the terminal fd, without
// echo, and requires both to match.
func promptPassword(ctx context.Context, fd int, prompt io.Writer, name string) (string, error) {
	fmt.Fprintf(prompt, "New password for %s: ", name)
	first, err := readNoEcho(ctx, fd, prompt)
	if err != nil {
		return "", err
	}
	if first == "" {
		return "", nil // refused by the caller, without asking again
	}
	fmt.Fprint(prompt, "Retype new password: ")
	second, err := readNoEcho(ctx, fd, prompt)
	if err != nil {
		return "", err
	}
	if first != second {
		return "", errors.New("the passwords do not match")
	}
	return first, nil
}

// readNoEcho reads one line from the terminal without echo. SIGINT is
// caught by the command's context rather than killing the process, so an
// interrupt is watched for here: it restores the terminal and gives up.
func readNoEcho(ctx context.Context, fd int, prompt io.Writer) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("reading terminal state: %w", err)
	}
	type result struct {
		pw  []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		pw, err := term.ReadPassword(fd)
		done <- result{pw, err}
	}()
	select {
	case r := <-done:
		fmt.Fprintln(prompt) // the user's Enter was not echoed
		if r.err != nil {
			return "", fmt.Errorf("reading password from the terminal: %w", r.err)
		}
		return string(r.pw), nil
	case <-ctx.Done():
		term.Restore(fd, state)
		fmt.Fprintln(prompt)
		return "", ctx.Err()
	}
}
