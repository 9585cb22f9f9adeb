package lookup_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/lookup"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

// TestStalledTryCostsOneTry: Graph accepts the connection of the user
// lookup and never answers; the try is given up after its deadline and the
// next one answers, so the diagnosis gets its user instead of waiting until
// the invocation's deadline.
func TestStalledTryCostsOneTry(t *testing.T) {
	_, sim := simDirectory(t, porttest.StandardDirectorySeed())
	var stalled atomic.Int64
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1.0/users" && strings.Contains(r.URL.Query().Get("$filter"), "userPrincipalName eq") && stalled.Add(1) == 1 {
			<-r.Context().Done() // accepted, never answered
			return
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	defer front.Close()
	d, err := lookup.New(lookup.Options{BaseURL: front.URL, Credential: sim.Credential(), Pin: sim.Tenant().FirstAppPin, Owner: graphsim.Caller,
		TryTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u, _, err := d.FindUser(ctx, "ann.smith@contoso.com")
	if err != nil || u.UserPrincipalName != "ann@contoso.com" || stalled.Load() != 2 {
		t.Fatalf("after one stalled try: %+v %v (%d lookups), want the user on the second try", u, err, stalled.Load())
	}
}
