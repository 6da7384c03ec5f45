package importer

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// TestReportJSON: a report crosses the admin socket as JSON with nothing
// lost; a stopped mailbox's error keeps its text.
func TestReportJSON(t *testing.T) {
	rep := &Report{DryRun: true, Mailboxes: []*MailboxReport{
		{Source: "/m/.Sent", Target: "Sent", SourceUIDValidity: 5, UIDValidity: 6, Renumbered: true,
			Read: 3, Imported: 1, Skipped: 1, FlagsUpdated: 1, Bytes: 99, UIDsAssigned: 1,
			UIDLsFromSource: 1, UIDLsFromScheme: 2, UIDLsFromTemplate: 3,
			Notes: []string{"n"}, Warnings: []string{"w: x"}, Failures: []Failure{{Where: "f:1", Reason: "r"}},
			Err: errors.New("stopped: conflict")},
		{Source: "/m", Target: "INBOX"},
	}}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if got.Mailboxes[0].Err == nil || got.Mailboxes[0].Err.Error() != "stopped: conflict" || got.Mailboxes[1].Err != nil {
		t.Errorf("errors: got %v, %v", got.Mailboxes[0].Err, got.Mailboxes[1].Err)
	}
	got.Mailboxes[0].Err = rep.Mailboxes[0].Err
	if !reflect.DeepEqual(&got, rep) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v\n%s", got.Mailboxes[0], rep.Mailboxes[0], b)
	}
	p := Progress{Mailbox: "INBOX", Read: 4, Imported: 3, Skipped: 1, Bytes: 1 << 40, Done: true}
	b, _ = json.Marshal(p)
	var gp Progress
	if err := json.Unmarshal(b, &gp); err != nil || gp != p {
		t.Errorf("Progress round trip: %+v, %v (%s)", gp, err, b)
	}
}
