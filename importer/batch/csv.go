package batch

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Limits on the batch file: it is written by an administrator, but a file
// that is not what it should be (a mailbox export picked by mistake) must
// not take the memory of the machine.
const (
	maxAccounts = 100_000 // rows
	maxErrors   = 50      // errors listed before the rest are counted only
)

// Columns of the batch file. The header line names them, in any order;
// names are matched without regard to case and surrounding spaces.
var (
	required = []string{"protocol", "host", "tls", "source_user", "password_file", "target_user"}
	optional = []string{"dry_run", "expunge_missing", "insecure_skip_verify", "attach_uidls"}
)

// Parse reads a batch file (RFC 4180 CSV, as encoding/csv reads it, with a
// header line; '#' starts a comment line) and checks every row before
// anything runs: all errors are returned together, each naming its line.
// Relative password file paths are taken relative to dir (the batch file's
// directory) and must name readable files.
func Parse(r io.Reader, name, dir string) ([]Account, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1 // checked here, with a better message
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file: want a header line (%s)", name, strings.Join(required, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	col, err := columns(header)
	if err != nil {
		line, _ := cr.FieldPos(0)
		return nil, fmt.Errorf("%s:%d: %w", name, line, err)
	}
	var accounts []Account
	var errs []string
	more := 0
	bad := func(line int, format string, args ...any) {
		if len(errs) < maxErrors {
			errs = append(errs, fmt.Sprintf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
		} else {
			more++
		}
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			// encoding/csv goes on with the next record: every bad line
			// is named, not only the first.
			bad(perr.StartLine, "%v", perr.Err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(accounts) >= maxAccounts {
			return nil, fmt.Errorf("%s:%d: more than %d accounts", name, line, maxAccounts)
		}
		if len(rec) != len(header) {
			bad(line, "%d fields, the header has %d", len(rec), len(header))
			continue
		}
		a, problems := parseRow(rec, col, dir)
		a.Line = line
		for _, p := range problems {
			bad(line, "%s", p)
		}
		if len(problems) > 0 {
			continue
		}
		if first, dup := seen[a.Key()]; dup {
			bad(line, "the same account as line %d (%s)", first, a.Key())
			continue
		}
		seen[a.Key()] = line
		accounts = append(accounts, a)
	}
	if more > 0 {
		errs = append(errs, fmt.Sprintf("%s: and %d more errors", name, more))
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	if len(accounts) == 0 {
		return nil, fmt.Errorf("%s: no accounts, only the header line", name)
	}
	return accounts, nil
}

// columns maps each known column to its index in the header.
func columns(header []string) (map[string]int, error) {
	col := map[string]int{}
	known := map[string]bool{}
	for _, c := range append(append([]string{}, required...), optional...) {
		known[c] = true
	}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) // a BOM some editors write
		if !known[h] {
			return nil, fmt.Errorf("unknown column %q (known: %s, and optionally %s)", h, strings.Join(required, ","), strings.Join(optional, ","))
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("column %q twice", h)
		}
		col[h] = i
	}
	var missing []string
	for _, c := range required {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the header lacks the column(s) %s", strings.Join(missing, ", "))
	}
	return col, nil
}

// parseRow checks one row; it returns every problem found.
func parseRow(rec []string, col map[string]int, dir string) (Account, []string) {
	get := func(c string) string {
		if i, ok := col[c]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var problems []string
	a := Account{
		Protocol: strings.ToLower(get("protocol")), Host: get("host"), TLS: strings.ToLower(get("tls")),
		SourceUser: get("source_user"), PasswordFile: get("password_file"), TargetUser: get("target_user"),
	}
	switch a.Protocol {
	case ProtocolIMAP, ProtocolPOP3:
	default:
		problems = append(problems, fmt.Sprintf("protocol %q: want imap or pop3", a.Protocol))
	}
	if host, port, err := net.SplitHostPort(a.Host); err != nil || host == "" {
		problems = append(problems, fmt.Sprintf("host %q: want HOST:PORT", a.Host))
	} else if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		problems = append(problems, fmt.Sprintf("host %q: port %q is not 1-65535", a.Host, port))
	}
	switch a.TLS {
	case "":
		a.TLS = "none"
	case "none", "starttls", "implicit":
	default:
		problems = append(problems, fmt.Sprintf("tls %q: want none, starttls or implicit", a.TLS))
	}
	if a.SourceUser == "" || strings.ContainsAny(a.SourceUser, "\r\n\x00") {
		problems = append(problems, "source_user is empty or contains a line break")
	}
	if a.TargetUser == "" {
		problems = append(problems, "target_user is empty")
	}
	if a.PasswordFile == "" {
		problems = append(problems, "password_file is empty")
	} else {
		if !filepath.IsAbs(a.PasswordFile) {
			a.PasswordFile = filepath.Join(dir, a.PasswordFile)
		}
		if f, err := os.Open(a.PasswordFile); err != nil {
			problems = append(problems, fmt.Sprintf("password_file: %v", err))
		} else {
			if fi, err := f.Stat(); err == nil && fi.IsDir() {
				problems = append(problems, fmt.Sprintf("password_file %s is a directory", a.PasswordFile))
			}
			f.Close()
		}
	}
	for _, b := range []struct {
		col string
		v   *bool
	}{{"dry_run", &a.DryRun}, {"expunge_missing", &a.ExpungeMissing}, {"insecure_skip_verify", &a.InsecureSkipVerify}, {"attach_uidls", &a.AttachUIDLs}} {
		v, err := parseBool(get(b.col))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", b.col, err))
		}
		*b.v = v
	}
	if a.AttachUIDLs && a.Protocol != ProtocolPOP3 {
		problems = append(problems, "attach_uidls is for pop3 rows (the POP3 view of a server whose IMAP view was imported)")
	}
	if a.AttachUIDLs && a.ExpungeMissing {
		problems = append(problems, "attach_uidls imports and expunges nothing: leave expunge_missing empty")
	}
	return a, problems
}

// parseBool reads an optional yes/no column; empty is no.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "0", "no", "false", "n":
		return false, nil
	case "1", "yes", "true", "y":
		return true, nil
	}
	return false, fmt.Errorf("%q: want yes or no (or true/false, 1/0, empty for no)", s)
}
