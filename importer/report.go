package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Report is what Run did, mailbox by mailbox. It crosses the admin socket
// as JSON; MailboxReport.Err does so as its text.
type Report struct {
	DryRun    bool             `json:"dry_run,omitempty"`
	Mailboxes []*MailboxReport `json:"mailboxes"`
}

// MailboxReport is what happened to one source mailbox.
type MailboxReport struct {
	Source            string `json:"source"`
	Target            string `json:"target"`
	SourceUIDValidity uint32 `json:"source_uidvalidity,omitempty"` // 0: the source had none
	UIDValidity       uint32 `json:"uidvalidity,omitempty"`        // the target's
	Renumbered        bool   `json:"renumbered,omitempty"`

	Read         int   `json:"read"`               // source messages read
	Imported     int   `json:"imported"`           // messages written (dry run: that would be)
	Skipped      int   `json:"skipped"`            // already imported by an earlier run
	FlagsUpdated int   `json:"flags_updated"`      // earlier imported messages whose flags were brought across
	Bytes        int64 `json:"bytes"`              // size of the messages written
	UIDsAssigned int   `json:"uids_assigned"`      // messages the source had no UID for
	Expunged     int   `json:"expunged,omitempty"` // imported before, gone at the source (Options.ExpungeMissing)

	UIDLsFromSource   int `json:"uidls_from_source"`   // UIDLs the source had stored (uidlist, Courier, X-UIDL)
	UIDLsFromScheme   int `json:"uidls_from_scheme"`   // rendered with the --uidl-scheme
	UIDLsFromTemplate int `json:"uidls_from_template"` // left to the store's template

	Notes    []string  `json:"notes,omitempty"`
	Warnings []string  `json:"warnings,omitempty"` // each "where: what"
	Failures []Failure `json:"failures,omitempty"` // messages not imported
	Err      error     `json:"-"`                  // the mailbox was stopped; "err" in JSON
}

// Failure is a message that was not imported.
type Failure struct {
	Where  string `json:"where"` // file or file:line
	Reason string `json:"reason"`
}

// mailboxReportJSON is MailboxReport with Err as text: an error's type
// does not cross the socket, and the report needs only its message.
type mailboxReportJSON struct {
	*mailboxReportFields
	Err string `json:"err,omitempty"`
}

type mailboxReportFields MailboxReport // without the methods

// MarshalJSON encodes m with Err as its text.
func (m *MailboxReport) MarshalJSON() ([]byte, error) {
	j := mailboxReportJSON{mailboxReportFields: (*mailboxReportFields)(m)}
	if m.Err != nil {
		j.Err = m.Err.Error()
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes what MarshalJSON encodes; Err becomes an error
// with the same text.
func (m *MailboxReport) UnmarshalJSON(b []byte) error {
	j := mailboxReportJSON{mailboxReportFields: (*mailboxReportFields)(m)}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	m.Err = nil
	if j.Err != "" {
		m.Err = errors.New(j.Err)
	}
	return nil
}

func (m *MailboxReport) fail(where, reason string) {
	m.Failures = append(m.Failures, Failure{Where: where, Reason: reason})
}

func (m *MailboxReport) warn(where, what string) {
	m.Warnings = append(m.Warnings, where+": "+what)
}

// OK reports whether everything the source had was imported (or was there
// already).
func (r *Report) OK() bool {
	for _, m := range r.Mailboxes {
		if m.Err != nil || len(m.Failures) > 0 {
			return false
		}
	}
	return true
}

// Totals sums the mailboxes' counts.
func (r *Report) Totals() (imported, skipped, failed int, bytes int64) {
	for _, m := range r.Mailboxes {
		imported += m.Imported
		skipped += m.Skipped
		failed += len(m.Failures)
		bytes += m.Bytes
	}
	return
}

// Write prints the report for an administrator: a paragraph per mailbox.
func (r *Report) Write(w io.Writer) {
	verb := "imported"
	if r.DryRun {
		verb = "to import"
	}
	for _, m := range r.Mailboxes {
		fmt.Fprintf(w, "%s -> %s\n", m.Source, m.Target)
		switch {
		case m.SourceUIDValidity == 0:
			fmt.Fprintf(w, "  UIDVALIDITY %d (the source had none)\n", m.UIDValidity)
		case m.SourceUIDValidity == m.UIDValidity:
			fmt.Fprintf(w, "  UIDVALIDITY %d kept\n", m.UIDValidity)
		case m.UIDValidity != 0:
			fmt.Fprintf(w, "  UIDVALIDITY CHANGED: source %d, target %d\n", m.SourceUIDValidity, m.UIDValidity)
		}
		fmt.Fprintf(w, "  messages: %d read, %d %s (%d bytes), %d already there, %d with flags brought across, %d not imported\n",
			m.Read, m.Imported, verb, m.Bytes, m.Skipped, m.FlagsUpdated, len(m.Failures))
		if m.Expunged > 0 {
			what := "expunged"
			if r.DryRun {
				what = "to expunge"
			}
			fmt.Fprintf(w, "  %s: %d messages imported before that the source no longer has\n", what, m.Expunged)
		}
		if m.Imported > 0 {
			fmt.Fprintf(w, "  UIDs: %d kept from the source, %d assigned\n", m.Imported-m.UIDsAssigned, m.UIDsAssigned)
			fmt.Fprintf(w, "  UIDLs: %d kept from the source, %d from the scheme, %d from the template\n",
				m.UIDLsFromSource, m.UIDLsFromScheme, m.UIDLsFromTemplate)
		}
		for _, n := range m.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		for _, x := range m.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", oneLine(x))
		}
		for _, f := range m.Failures {
			fmt.Fprintf(w, "  NOT IMPORTED: %s: %s\n", f.Where, oneLine(f.Reason))
		}
		if m.Err != nil {
			fmt.Fprintf(w, "  STOPPED: %s\n", oneLine(m.Err.Error()))
		}
	}
	imported, skipped, failed, bytes := r.Totals()
	fmt.Fprintf(w, "total: %d mailboxes, %d messages %s (%d bytes), %d already there, %d not imported\n",
		len(r.Mailboxes), imported, verb, bytes, skipped, failed)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
