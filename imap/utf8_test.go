package imap

import (
	"strings"
	"testing"
)

// Mailbox names: modified UTF-7 for IMAP4rev1 clients (RFC 3501 §5.1.3),
// UTF-8 after ENABLE UTF8=ACCEPT (RFC 6855) or IMAP4rev2; one store name.
func TestMailboxNamesUTF7AndUTF8(t *testing.T) {
	e := newTestEnv(t)
	r := e.preauth().raw()
	r.mustOK(`CREATE "Caf&AOk-/R&AOk-sum&AOk-"`)
	if _, err := e.store.Mailbox(t.Context(), e.acct.ID, "Café/Résumé"); err != nil {
		t.Fatalf("stored name: %v", err)
	}
	u := r.mustOK(`LIST "" "Caf*"`)
	if !strings.Contains(strings.Join(u, ""), `"Caf&AOk-/R&AOk-sum&AOk-"`) {
		t.Errorf("LIST (UTF-7): %q", u)
	}
	r.mustOK("ENABLE UTF8=ACCEPT")
	u = r.mustOK(`LIST "" "Caf*"`)
	if !strings.Contains(strings.Join(u, ""), `"Café/Résumé"`) {
		t.Errorf("LIST (UTF-8): %q", u)
	}
	r.mustOK(`SELECT "Café/Résumé"`)
	r.mustOK(`STATUS "Café" (MESSAGES)`)
}
