package main

import (
	"context"
	"fmt"
	"strings"
)

// command is one subcommand: its name (one or two words), the arguments its
// usage line shows, and the function that runs it.
type command struct {
	name string
	args string
	run  func(ctx context.Context, e *env, cmd *command, args []string) error
}

// commands lists every subcommand; usageText describes the same list.
var commands = []*command{
	{name: "serve", args: "[--config FILE] [--data DIR] [--pop3 ADDR] [--imap ADDR] [--pop3s ADDR] [--imaps ADDR] [--lmtp ADDR] [--tls-cert FILE --tls-key FILE] [--starttls auto|on|off] [--allow-plaintext-auth] [--rehash-passwords] [--log-format text|json] [--log-level LEVEL] [--metrics ADDR] [--pprof]", run: runServe},
	{name: "user add", args: "[--data DIR] NAME", run: runUserAdd},
	{name: "user list", args: "[--data DIR]", run: runUserList},
	{name: "user passwd", args: "[--data DIR] NAME", run: runUserPasswd},
	{name: "user delete", args: "[--data DIR] NAME", run: runUserDelete},
	{name: "user import", args: "[--data DIR] [--update] PASSWD-FILE", run: runUserImport},
	{name: "mailbox list", args: "[--data DIR] USER", run: runMailboxList},
	{name: "message list", args: "[--data DIR] USER MAILBOX", run: runMessageList},
	{name: "import maildir", args: "[--data DIR] --to USER [--uidl-scheme S] [--renumber] [--dry-run] PATH", run: runImportMaildir},
	{name: "import mbox", args: "[--data DIR] --to USER [--uidl-scheme S] [--from-quoting Q] [--mailbox NAME] [--renumber] [--dry-run] PATH", run: runImportMbox},
	{name: "import pop3", args: "[--data DIR] --to USER --host HOST:PORT --user U --password-file F [--tls none|starttls|implicit] [--insecure-skip-verify] [--expunge-missing] [--attach-uidls] [--dry-run]", run: runImportPOP3},
	{name: "import imap", args: "[--data DIR] --to USER --host HOST:PORT --user U --password-file F [--tls none|starttls|implicit] [--insecure-skip-verify] [--include PATTERN]... [--exclude PATTERN]... [--map SOURCE=TARGET]... [--expunge-missing] [--uidl-scheme S] [--renumber] [--fill-gaps] [--dry-run]", run: runImportIMAP},
	{name: "import batch", args: "[--data DIR] [--parallel N] [--state FILE] CSVFILE", run: runImportBatch},
	{name: "verify", args: "--old-host H:P --old-user U --old-password-file F [--old-tls MODE] --new-host H:P --new-user U --new-password-file F [--new-tls MODE] [--old-pop3 H:P --new-pop3 H:P [--pop3-tls MODE]] [--insecure-skip-verify] [--mailbox PATTERN]... [--imap-client imapclient|tolerant] [--max-lines N]", run: runVerify},
	// "bench load" and "bench compare" come before "bench": the first name that matches wins.
	{name: "bench load", args: "--imap HOST:PORT [--messages N] [--users FILE | --user-prefix P --user-count N --password PW] [--tls none|starttls|implicit] [--insecure-skip-verify] [--seed S] [--clients N] [--mailbox NAME] [--quiet]", run: runBenchLoad},
	{name: "bench compare", args: "[--json] LABEL=GLOB LABEL=GLOB", run: runBenchCompare},
	{name: "bench", args: "--imap HOST:PORT | --pop3 HOST:PORT [--pop3-mode drop|poll] [--users FILE | --user-prefix P --user-count N --password PW] [--tls none|starttls|implicit] [--insecure-skip-verify] [--clients N] [--duration D] [--warmup D] [--seed S] [--mix OP=W,...] [--idle D] [--rate N] [--mailbox NAME] [--json]", run: runBench},
}

const usageText = `usage: ferrymail COMMAND [ARGUMENTS]

Commands:
  serve [--config FILE] [--data DIR] [--pop3 ADDR] [--imap ADDR] [--pop3s ADDR]
        [--imaps ADDR] [--lmtp ADDR] [--tls-cert FILE --tls-key FILE]
        [--starttls auto|on|off] [--allow-plaintext-auth] [--rehash-passwords]
        [--log-format text|json] [--log-level LEVEL] [--metrics ADDR] [--pprof]
                                             run the server until SIGINT or SIGTERM;
                                             SIGHUP reloads the TLS certificate
                                             (options: docs/configuration.md)
                                             (POP3 on ADDR, default 127.0.0.1:1110;
                                             IMAP on ADDR, default 127.0.0.1:1143;
                                             LMTP on ADDR, "unix:/path" or host:port,
                                             off by default; imported password hashes
                                             become argon2id at the next login if asked)
  user add [--data DIR] NAME                 create an account (password read from stdin)
  user list [--data DIR]                     list accounts
  user passwd [--data DIR] NAME              change a password (read from stdin)
  user delete [--data DIR] NAME              delete an account and all its mail
  user import [--data DIR] [--update] PASSWD-FILE
                                             create accounts from a Dovecot passwd-file,
                                             password hashes kept ({SHA512-CRYPT} …);
                                             --update replaces existing accounts' hashes
  mailbox list [--data DIR] USER             list a user's mailboxes and their identifiers
  message list [--data DIR] USER MAILBOX     list a mailbox's messages and their identifiers
  import maildir [--data DIR] --to USER PATH import a Maildir++ tree, identifiers kept
  import mbox [--data DIR] --to USER PATH    import an mbox file or a directory of them
  import pop3 [--data DIR] --to USER --host HOST:PORT --user U --password-file F
              [--tls none|starttls|implicit]
                                             import a live POP3 server's INBOX, UIDLs kept
                                             (never deletes there; a re-run brings new mail);
                                             --attach-uidls imports nothing: gives the INBOX
                                             imported over IMAP this server's POP3 UIDLs
  import imap [--data DIR] --to USER --host HOST:PORT --user U --password-file F
              [--tls none|starttls|implicit] [--include P]... [--exclude P]... [--map S=T]...
                                             import a live IMAP server's mailboxes with
                                             UIDVALIDITY, UIDs, flags, dates, subscriptions
                                             (read-only there: EXAMINE, BODY.PEEK[]; a re-run
                                             brings the delta; --expunge-missing)
  import batch [--data DIR] [--parallel N] [--state FILE] CSVFILE
                                             import many accounts listed in a CSV file, N at
                                             a time (default 4); a re-run resumes (docs/migration.md)
  verify --old-host H:P --old-user U --old-password-file F [--old-tls MODE]
         --new-host H:P --new-user U --new-password-file F [--new-tls MODE]
         [--old-pop3 H:P --new-pop3 H:P [--pop3-tls MODE]] [--mailbox PATTERN]...
                                             compare what two servers serve one account
                                             (read-only): per mailbox UIDVALIDITY, UIDNEXT,
                                             UIDs, sizes, flags; POP3 UIDLs, sizes, order.
                                             Exit 0 identical, 1 differences found,
                                             3 a server could not be read (connection,
                                             login, or the conversation broke off)
  bench --imap HOST:PORT | --pop3 HOST:PORT [--pop3-mode drop|poll]
        [--users FILE | --user-prefix P --user-count N --password PW]
        [--clients N] [--duration D] [--warmup D] [--seed S] [--mix OP=W,...]
        [--rate N] [--json]
                                             load any IMAP or POP3 server for a fixed time
                                             and print per-command rates and latencies
  bench load --imap HOST:PORT --messages N [--users FILE | ...] [--seed S]
                                             fill accounts with generated mail via APPEND
                                             (the same seed gives the same messages)
  bench compare [--json] LABEL=GLOB LABEL=GLOB
                                             two servers' bench --json reports side by
                                             side: medians over rounds and their ratio
  help                                       show this text

DIR defaults to ./ferrymail-data. The commands work whether or not the server
runs: a running server is reached through DIR/admin.sock.
`

// findCommand finds the subcommand that args start with and returns it with
// the arguments after its name.
func findCommand(args []string) (*command, []string, error) {
	for _, c := range commands {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):], nil
		}
	}
	// A known group without a known verb ("user", "user frob").
	var verbs []string
	for _, c := range commands {
		if group, verb, ok := strings.Cut(c.name, " "); ok && group == args[0] {
			verbs = append(verbs, verb)
		}
	}
	if len(verbs) > 0 {
		if len(args) == 1 {
			return nil, nil, usageErrorf("%s: missing subcommand (%s)", args[0], strings.Join(verbs, ", "))
		}
		return nil, nil, usageErrorf("%s: unknown subcommand %q (%s)", args[0], args[1], strings.Join(verbs, ", "))
	}
	return nil, nil, usageErrorf("unknown command %q", args[0])
}

// usageError is a command line that could not be understood (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
