package main

import (
	"errors"
	"flag"
	"io"
	"strings"

	"github.com/ferrymail/ferrymail/server"
)

// errHelp is returned when -h or --help was asked for: usage on stdout, exit 0.
var errHelp = errors.New("help requested")

// commonFlags are the flags every subcommand takes.
type commonFlags struct {
	dataDir string
}

// newFlagSet returns a flag set with the common flags bound to c. Errors
// are reported by report, so the flag package prints nothing itself.
func newFlagSet(cmd *command, c *commonFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.dataDir, "data", server.DefaultDataDir, "data directory")
	return fs
}

// parseArgs parses args with fs, letting flags come before, between or
// after the positional arguments ("mailbox list alice --data d" works as
// well as "mailbox list --data d alice"), and returns the positional ones.
// "--" ends the flags.
func parseArgs(cmd *command, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usageErrorf("%s: %v", cmd.name, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil // everything after "--" is positional
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseExactly is parseArgs for a command that takes exactly want
// positional arguments, named at the end of its usage line.
func parseExactly(cmd *command, fs *flag.FlagSet, args []string, want int) ([]string, error) {
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	switch {
	case len(pos) < want:
		names := strings.Fields(cmd.args)
		return nil, usageErrorf("%s: missing %s", cmd.name, strings.Join(names[len(names)-want+len(pos):], " "))
	case len(pos) > want:
		return nil, usageErrorf("%s: unexpected argument %q", cmd.name, pos[want])
	}
	return pos, nil
}
