package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/ferrymail/ferrymail/server/admin"
)

// runUserAdd: ferrymail user add [--data DIR] NAME
func runUserAdd(ctx context.Context, e *env, cmd *command, args []string) error {
	var c commonFlags
	name, err := parseUserAndPassword(cmd, newFlagSet(cmd, &c), args)
	if err != nil {
		return err
	}
	// The password is read before the store is opened, so that a person
	// typing it does not keep "serve" from starting meanwhile.
	pw, err := readNewPassword(ctx, e, name)
	if err != nil {
		return err
	}
	return withAdmin(ctx, e, c.dataDir, admin.OpenOptions{Create: true}, func(api admin.API) error {
		u, err := api.AddUser(ctx, name, pw)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created user %s\n", u.Name)
		return nil
	})
}

// runUserPasswd: ferrymail user passwd [--data DIR] NAME
func runUserPasswd(ctx context.Context, e *env, cmd *command, args []string) error {
	var c commonFlags
	name, err := parseUserAndPassword(cmd, newFlagSet(cmd, &c), args)
	if err != nil {
		return err
	}
	pw, err := readNewPassword(ctx, e, name)
	if err != nil {
		return err
	}
	return withAdmin(ctx, e, c.dataDir, admin.OpenOptions{}, func(api admin.API) error {
		if err := api.SetPassword(ctx, name, pw); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "changed the password of %s\n", name)
		return nil
	})
}

// parseUserAndPassword parses the arguments of a command that sets a
// password: one NAME. A second argument is most likely the password; it is
// refused without being repeated on stderr.
func parseUserAndPassword(cmd *command, fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return "", err
	}
	switch {
	case len(pos) == 0:
		return "", usageErrorf("%s: missing NAME", cmd.name)
	case len(pos) > 1:
		return "", usageErrorf("%s: too many arguments: the password is read from standard input, never from the command line", cmd.name)
	}
	return pos[0], nil
}

// runUserList: ferrymail user list [--data DIR]
func runUserList(ctx context.Context, e *env, cmd *command, args []string) error {
	var c commonFlags
	if _, err := parseExactly(cmd, newFlagSet(cmd, &c), args, 0); err != nil {
		return err
	}
	return withAdmin(ctx, e, c.dataDir, admin.OpenOptions{}, func(api admin.API) error {
		users, err := api.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\n", u.Name, u.Created.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

// runUserDelete: ferrymail user delete [--data DIR] NAME
func runUserDelete(ctx context.Context, e *env, cmd *command, args []string) error {
	var c commonFlags
	pos, err := parseExactly(cmd, newFlagSet(cmd, &c), args, 1)
	if err != nil {
		return err
	}
	return withAdmin(ctx, e, c.dataDir, admin.OpenOptions{}, func(api admin.API) error {
		if err := api.DeleteUser(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "deleted user %s\n", pos[0])
		return nil
	})
}
