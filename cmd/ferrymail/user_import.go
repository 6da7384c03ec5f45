package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ferrymail/ferrymail/server/admin"
	"github.com/ferrymail/ferrymail/store"
)

// maxPasswdLine bounds one passwd-file line; Dovecot's lines hold a name,
// a hash and a few short fields, far below this.
const maxPasswdLine = 64 << 10

// passwdEntry is one account line of a Dovecot passwd-file.
type passwdEntry struct {
	line int
	name string
	hash string
}

// parsePasswdLine parses one line of a Dovecot passwd-file,
//
//	user:{SCHEME}hash:uid:gid:gecos:home:shell:extra_fields
//
// of which only user and password matter here; the others may be missing.
// A password without {SCHEME} is in Dovecot's default scheme for
// passwd-files, CRYPT, and is kept as it is. Blank lines and lines
// starting with "#" give ok == false and no error.
func parsePasswdLine(line string) (name, hash string, ok bool, err error) {
	line = strings.TrimSuffix(line, "\r")
	if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
		return "", "", false, nil
	}
	name, rest, found := strings.Cut(line, ":")
	if !found {
		return "", "", false, errors.New("no ':' after the user name")
	}
	if name == "" {
		return "", "", false, errors.New("empty user name")
	}
	hash, _, _ = strings.Cut(rest, ":")
	if hash == "" {
		return "", "", false, fmt.Errorf("user %q has no password (empty field)", name)
	}
	return name, hash, true, nil
}

// readPasswdFile reads every account line of r, and an error per line that
// could not be parsed, named file:line.
func readPasswdFile(r io.Reader, file string) ([]passwdEntry, []error, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxPasswdLine)
	var entries []passwdEntry
	var bad []error
	for n := 1; sc.Scan(); n++ {
		name, hash, ok, err := parsePasswdLine(sc.Text())
		if err != nil {
			bad = append(bad, fmt.Errorf("%s:%d: %w", file, n, err))
			continue
		}
		if ok {
			entries = append(entries, passwdEntry{line: n, name: name, hash: hash})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return entries, bad, nil
}

// runUserImport: ferrymail user import [--data DIR] [--update] PASSWD-FILE.
// Each account is created with its hash as it is; an existing account is
// an error unless --update, which replaces its hash. Every line is tried;
// the command fails if any line failed.
func runUserImport(ctx context.Context, e *env, cmd *command, args []string) error {
	var c commonFlags
	fs := newFlagSet(cmd, &c)
	update := fs.Bool("update", false, "replace the password hash of existing accounts")
	pos, err := parseExactly(cmd, fs, args, 1)
	if err != nil {
		return err
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	entries, bad, err := readPasswdFile(f, pos[0])
	f.Close()
	if err != nil {
		return err
	}
	failed := len(bad)
	for _, b := range bad {
		fmt.Fprintf(e.stderr, "ferrymail: %v\n", b)
	}
	if len(entries) == 0 {
		if failed > 0 {
			return fmt.Errorf("%s: no user imported, %d lines failed", pos[0], failed)
		}
		return fmt.Errorf("%s: no users in the file", pos[0])
	}
	err = withAdmin(ctx, e, c.dataDir, admin.OpenOptions{Create: true}, func(api admin.API) error {
		for _, en := range entries {
			res, err := api.ImportUser(ctx, admin.UserHash{Name: en.name, Hash: en.hash, Update: *update})
			switch {
			case err == nil && res.Created:
				fmt.Fprintf(e.stdout, "created user %s\n", res.Name)
			case err == nil:
				fmt.Fprintf(e.stdout, "updated the password hash of %s\n", res.Name)
			case ctx.Err() != nil:
				return ctx.Err()
			default:
				failed++
				if errors.Is(err, store.ErrAccountExists) {
					err = fmt.Errorf("%w (--update replaces its password hash)", err)
				}
				fmt.Fprintf(e.stderr, "ferrymail: %s:%d: %s\n", pos[0], en.line, oneLine(err.Error()))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%s: %d of %d users not imported", pos[0], failed, len(entries)+len(bad))
	}
	return nil
}
