package imapsrc_test

import (
	"context"
	"fmt"

	"github.com/ferrymail/ferrymail/importer/imapsrc"
	"github.com/ferrymail/ferrymail/importer/remote"
)

// Reading a legacy server without changing it, as a verifier does: the
// mailboxes, and for each its identifiers and its messages' UIDs, sizes
// and flags.
func ExampleDial() {
	ctx := context.Background()
	c, err := imapsrc.Dial(ctx, imapsrc.Options{Addr: "imap.example.org:993", User: "alice", Password: "secret",
		TLS: remote.TLSImplicit})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Logout()
	boxes, _, err := c.List()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range boxes {
		if b.NoSelect {
			continue
		}
		st, err := c.Examine(b.Raw) // EXAMINE: read-only
		if err != nil {
			fmt.Println(b.Name, err)
			continue
		}
		msgs, err := c.FetchMeta(st.Exists) // UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)
		if err != nil {
			fmt.Println(b.Name, err)
			continue
		}
		fmt.Println(b.Name, st.UIDValidity, st.UIDNext, len(msgs))
	}
}
