package admin

import (
	"context"
	"errors"
	"testing"

	"github.com/ferrymail/ferrymail/store"
	"github.com/ferrymail/ferrymail/store/password"
)

// TestImportUser: through Local and through the socket, an account is
// created with its hash kept, refused when it exists, and updated only
// when asked.
func TestImportUser(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	st := openStore(t, dir)
	startServer(t, dir, st)
	ctx := context.Background()
	for _, api := range []struct {
		name string
		api  API
	}{{"local", NewLocal(st)}, {"socket", dial(t, dir)}} {
		user := "u-" + api.name
		res, err := api.api.ImportUser(ctx, UserHash{Name: user, Hash: "{PLAIN}old"})
		if err != nil || !res.Created || res.Name != user {
			t.Fatalf("%s: create: %+v, %v", api.name, res, err)
		}
		if _, err := api.api.ImportUser(ctx, UserHash{Name: user, Hash: "{PLAIN}new"}); !errors.Is(err, store.ErrAccountExists) {
			t.Errorf("%s: existing without Update: %v, want ErrAccountExists", api.name, err)
		}
		res, err = api.api.ImportUser(ctx, UserHash{Name: user, Hash: "{PLAIN}new", Update: true})
		if err != nil || res.Created {
			t.Errorf("%s: update: %+v, %v", api.name, res, err)
		}
		if _, err := st.Authenticate(ctx, user, "new"); err != nil {
			t.Errorf("%s: login with the updated hash: %v", api.name, err)
		}
		if _, err := api.api.ImportUser(ctx, UserHash{Name: user + "2", Hash: "{MD4}x"}); !errors.Is(err, password.ErrUnknownScheme) {
			t.Errorf("%s: unknown scheme: %v, want ErrUnknownScheme", api.name, err)
		}
	}
}
