package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferrymail/ferrymail/server/admin"
)

// runMailboxList: ferrymail mailbox list [--data DIR] USER
//
// The first four columns are the ones DESIGN.md promises (name,
// UIDVALIDITY, UIDNEXT, count), in that order, so that scripts can rely on
// them; more columns follow.
func runMailboxList(ctx context.Context, e *env, cmd *command, args []string) error {
	var c commonFlags
	pos, err := parseExactly(cmd, newFlagSet(cmd, &c), args, 1)
	if err != nil {
		return err
	}
	return withAdmin(ctx, e, c.dataDir, admin.OpenOptions{}, func(api admin.API) error {
		boxes, err := api.Mailboxes(ctx, pos[0])
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tUIDVALIDITY\tUIDNEXT\tMESSAGES\tHIGHESTMODSEQ\tSPECIAL-USE\tSUBSCRIBED")
		for _, mb := range boxes {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\n", mb.Name, mb.UIDValidity, mb.UIDNext,
				mb.Messages, mb.HighestModSeq, orDash(mb.SpecialUse), yesNo(mb.Subscribed))
		}
		return tw.Flush()
	})
}

// runMessageList: ferrymail message list [--data DIR] USER MAILBOX
//
// FLAGS comes last because it is the one column that holds spaces.
func runMessageList(ctx context.Context, e *env, cmd *command, args []string) error {
	var c commonFlags
	pos, err := parseExactly(cmd, newFlagSet(cmd, &c), args, 2)
	if err != nil {
		return err
	}
	return withAdmin(ctx, e, c.dataDir, admin.OpenOptions{}, func(api admin.API) error {
		msgs, err := api.Messages(ctx, pos[0], pos[1])
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "UID\tUIDL\tSIZE\tINTERNALDATE\tMODSEQ\tFLAGS")
		for _, m := range msgs {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%d\t(%s)\n", m.UID, m.UIDL, m.Size,
				m.InternalDate.Format(time.RFC3339), m.ModSeq, strings.Join(m.Flags, " "))
		}
		return tw.Flush()
	})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
