package lookup_test

import (
	"context"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/lookup"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

// simDirectory seeds the Graph simulator with seed and returns the real
// adapter pointed at it over http.
func simDirectory(t *testing.T, seed porttest.DirectorySeed) (*lookup.Directory, *graphsim.Server) {
	t.Helper()
	srv := graphsim.New(graphsim.Options{Seed: 1})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ten := srv.Tenant()
	app := ten.CreateApp("Aircall SAML SSO")
	if err := ten.ConfigureAircallApp(app.AppID); err != nil {
		t.Fatal(err)
	}
	for _, u := range seed.Users {
		ten.AddUser(graphsim.User{ID: u.ID, UserPrincipalName: u.UserPrincipalName, Mail: u.Mail, DisplayName: u.DisplayName,
			UserType: u.UserType, AccountEnabled: u.AccountEnabled})
	}
	ids := map[string]string{}
	for id, g := range seed.Groups {
		ids[id] = ten.AddGroup(g.Name)
	}
	for id, g := range seed.Groups {
		for _, m := range g.Members {
			if sim, ok := ids[m]; ok {
				m = sim
			}
			if err := ten.AddMember(ids[id], m); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, u := range seed.AssignedUsers {
		if err := ten.Assign(app.SPID, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range seed.AssignedGroups {
		if err := ten.Assign(app.SPID, ids[g]); err != nil {
			t.Fatal(err)
		}
	}
	d, err := lookup.New(lookup.Options{BaseURL: srv.URL(), Credential: srv.Credential(), DisplayName: "Aircall SAML SSO"})
	if err != nil {
		t.Fatal(err)
	}
	return d, srv
}

func TestUserDirectoryConformance(t *testing.T) {
	porttest.UserDirectory(t, func(t *testing.T, seed porttest.DirectorySeed) domain.UserDirectory {
		d, _ := simDirectory(t, seed)
		return d
	})
}

// TestThrottlingAndFaults: 429 with Retry-After, 503s and connection resets
// are retried by the pipeline and change nothing the caller sees.
func TestThrottlingAndFaults(t *testing.T) {
	d, srv := simDirectory(t, porttest.StandardDirectorySeed())
	srv.Tenant().InjectFaults(graphsim.FaultSpec{Rate429: 0.2, Rate503: 0.1, RateReset: 0.05, Seed: 7})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := 0; i < 20; i++ {
		u, err := d.FindUser(ctx, "ann.smith@contoso.com")
		if err != nil || u.UserPrincipalName != "ann@contoso.com" {
			t.Fatalf("FindUser under faults: %+v %v", u, err)
		}
	}
	if st := srv.Tenant().Stats(); st.Injected["429"] == 0 || st.Injected["503"] == 0 {
		t.Fatalf("no fault was injected: %+v", st)
	}
}

func TestMissingApp(t *testing.T) {
	srv := graphsim.New(graphsim.Options{Seed: 1})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	d, _ := lookup.New(lookup.Options{BaseURL: srv.URL(), Credential: srv.Credential()})
	_, err := d.EmailClaim(context.Background())
	if !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("no app in the tenant: got %v, want ENOTFOUND with advice", err)
	}
}
