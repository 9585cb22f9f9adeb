package graphrest_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

// TestBulkDirectoryConformance runs the domain.BulkDirectory suite on the
// pager over HTTP against the Graph simulator seeded with the suite's tenant.
func TestBulkDirectoryConformance(t *testing.T) {
	porttest.BulkDirectory(t, func(t *testing.T, seed porttest.DirectorySeed) porttest.BulkDirectoryHarness {
		sim := graphsim.Start(t, graphsim.Options{Seed: 1, Users: 0, Mix: graphsim.Mix{}})
		ten := sim.Tenant()
		app := ten.CreateApp("Aircall SAML SSO")
		for _, u := range seed.Users {
			ten.AddUser(graphsim.User{ID: u.ID, UserPrincipalName: u.UserPrincipalName, Mail: u.Mail, DisplayName: u.DisplayName,
				UserType: u.UserType, AccountEnabled: u.AccountEnabled})
		}
		ids := map[string]string{}
		for id, g := range seed.Groups {
			ids[id] = ten.AddGroup(g.Name)
		}
		groupID := func(id string) string { return ids[id] }
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
		for _, p := range append(append([]string(nil), seed.AssignedUsers...), mapped(seed.AssignedGroups, groupID)...) {
			if err := ten.Assign(app.SPID, p); err != nil {
				t.Fatal(err)
			}
		}
		d, err := graphrest.New(graphrest.Options{BaseURL: sim.URL(), Credential: sim.Credential(), PageSize: 2, Pin: app.PinFunc(), Owner: graphsim.Caller})
		if err != nil {
			t.Fatal(err)
		}
		return porttest.BulkDirectoryHarness{Dir: d, GroupID: groupID, ExpireDeltaLinks: func() {
			ten.ExpireDeltaTokens()
		}}
	})
}

func mapped(ids []string, f func(string) string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = f(id)
	}
	return out
}
