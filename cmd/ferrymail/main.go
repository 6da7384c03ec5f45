// Command ferrymail is the Ferrymail mail server and its administration
// tool. "ferrymail help" lists the subcommands; DESIGN.md ("The binary")
// fixes the forms that outside checks rely on.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit statuses: 1 for a failed command, 2 for a command line that could not
// be understood (as the flag package and most Unix tools do).
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// env is what a command may touch of the process, so that run can be driven
// from a test without the real stdin and stdout.
type env struct {
	stdin  io.Reader // an *os.File when it may be a terminal
	stdout io.Writer
	stderr io.Writer
}

func main() {
	// SIGINT and SIGTERM cancel ctx: "serve" stops cleanly, and a command
	// waiting on the store or the socket gives up.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal the default action returns, so that a second
	// one ends a shutdown that hangs.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usageText)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usageText)
		return exitOK
	}
	cmd, rest, err := findCommand(args)
	if err != nil {
		return report(e, nil, err)
	}
	return report(e, cmd, cmd.run(ctx, e, cmd, rest))
}

// report prints err, if any, and returns the exit status for it. A usage
// error gets the command's usage line; any other error is one line.
func report(e *env, cmd *command, err error) int {
	var uerr *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		fmt.Fprintf(e.stdout, "usage: ferrymail %s %s\n", cmd.name, cmd.args)
		return exitOK
	case errors.As(err, &uerr):
		fmt.Fprintf(e.stderr, "ferrymail: %s\n", oneLine(uerr.msg))
		if cmd != nil {
			fmt.Fprintf(e.stderr, "usage: ferrymail %s %s\n", cmd.name, cmd.args)
		} else {
			fmt.Fprint(e.stderr, "run 'ferrymail help' for the list of commands\n")
		}
		return exitUsage
	case errors.Is(err, context.Canceled):
		// SIGINT or SIGTERM while a command waited.
		fmt.Fprintln(e.stderr, "ferrymail: interrupted")
		return exitError
	case errors.As(err, new(*codedError)):
		var cerr *codedError
		errors.As(err, &cerr)
		fmt.Fprintf(e.stderr, "ferrymail: %s\n", oneLine(err.Error()))
		return cerr.code
	default:
		fmt.Fprintf(e.stderr, "ferrymail: %s\n", oneLine(err.Error()))
		return exitError
	}
}

// oneLine keeps an error on one line, whatever text it carries along.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// codedError is an error that ends the command with an exit status of its
// own (ferrymail verify's "could not read a server", for example), so
// that scripts can tell it from the common failure status.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }
