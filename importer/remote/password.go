package remote

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrEmptyPassword is a password file whose first line is empty: most
// likely the wrong file, and never a password a server would take.
var ErrEmptyPassword = errors.New("the first line is empty")

// ReadPasswordFile returns the first line of the file at path without its
// line end (LF or CRLF), so that the password stays out of the command
// line and the process list. A failure to read is the os error, for the
// caller to say which file it was; an empty first line is ErrEmptyPassword,
// wrapped with the path.
func ReadPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return "", fmt.Errorf("password file %s: %w", path, ErrEmptyPassword)
	}
	return pw, nil
}
