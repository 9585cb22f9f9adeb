package graphcorpus_test

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/lookup"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

// calls collects the (method, route) of every Graph request the adapters
// sent to any simulator a suite started (graphsim's Stats.Requests keys:
// "GET /v1.0/users/{id}"; a path the simulator does not serve is recorded
// as sent).
type calls struct {
	mu   sync.Mutex
	seen map[string]bool
}

// start starts a simulator whose requests are added to c when the test ends.
func (c *calls) start(t *testing.T, o graphsim.Options) *graphsim.Server {
	sim := graphsim.Start(t, o)
	t.Cleanup(func() { // runs before Start's own cleanup closes the server
		c.mu.Lock()
		defer c.mu.Unlock()
		for k := range sim.Tenant().Stats().Requests {
			c.seen[k] = true
		}
	})
	return sim
}

func (c *calls) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k := range c.seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// recordAdapterCalls runs the conformance suites of the three Graph ports
// (domain.AppDirectory on the SDK client, domain.BulkDirectory on
// graphrest, domain.UserDirectory on lookup) and graphrest's
// domain.SigningKeyReader against the simulator and returns every call
// they made.
func recordAdapterCalls(t *testing.T) []string {
	rec := &calls{seen: map[string]bool{}}
	t.Run("AppDirectory", func(t *testing.T) {
		porttest.AppDirectory(t, func(t *testing.T) porttest.AppDirectoryHarness {
			sim := rec.start(t, graphsim.Options{Seed: 7})
			ten := sim.Tenant()
			u := ten.AddUser(graphsim.User{UserPrincipalName: "ada@contoso.example", Mail: "ada@contoso.example", AccountEnabled: true})
			c, err := graph.New(graph.Options{BaseURL: sim.URL(), Credential: sim.Credential(), RetryDelaySeconds: 1, Log: slog.New(slog.DiscardHandler),
				Replication: graph.Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond, Timeout: 10 * time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			return porttest.AppDirectoryHarness{Dir: c, Principal: u.ID, URIPolicy: func(m string) { ten.SetPolicyMode(graphsim.PolicyMode(m)) }}
		})
	})
	t.Run("BulkDirectory", func(t *testing.T) {
		porttest.BulkDirectory(t, func(t *testing.T, seed porttest.DirectorySeed) porttest.BulkDirectoryHarness {
			sim := rec.start(t, graphsim.Options{Seed: 1})
			app, groupID := seedTenant(t, sim.Tenant(), seed, false)
			d, err := graphrest.New(graphrest.Options{BaseURL: sim.URL(), Credential: sim.Credential(), PageSize: 2, Pin: app.PinFunc(), Owner: graphsim.Caller})
			if err != nil {
				t.Fatal(err)
			}
			return porttest.BulkDirectoryHarness{Dir: d, GroupID: groupID, ExpireDeltaLinks: func() {
				sim.Tenant().ExpireDeltaTokens()
			}}
		})
	})
	t.Run("UserDirectory", func(t *testing.T) {
		porttest.UserDirectory(t, func(t *testing.T, seed porttest.DirectorySeed) domain.UserDirectory {
			sim := rec.start(t, graphsim.Options{Seed: 1})
			seedTenant(t, sim.Tenant(), seed, true)
			d, err := lookup.New(lookup.Options{BaseURL: sim.URL(), Credential: sim.Credential(), Pin: sim.Tenant().FirstAppPin, Owner: graphsim.Caller})
			if err != nil {
				t.Fatal(err)
			}
			return d
		})
	})
	t.Run("BulkDirectory/groupRangesAndDelta", func(t *testing.T) {
		// The audit's optional reads: a group's user members by range, the
		// groups delta and users by id (package audit drives them).
		sim := rec.start(t, graphsim.Options{Seed: 1})
		app, groupID := seedTenant(t, sim.Tenant(), porttest.StandardDirectorySeed(), false)
		d, err := graphrest.New(graphrest.Options{BaseURL: sim.URL(), Credential: sim.Credential(), Pin: app.PinFunc(), Owner: graphsim.Caller})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		g := groupID(porttest.StandardDirectorySeed().AssignedGroups[0])
		if _, err := d.CountGroupUsers(ctx, g, domain.UserRange{}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.GroupUsers(ctx, g, domain.UserRange{After: "a"}, "", func(domain.DirectoryMember) error { return nil }); err != nil {
			t.Fatal(err)
		}
		links, err := d.LatestGroupsDeltaLinks(ctx, []string{g})
		if err != nil || len(links) != 1 {
			t.Fatalf("groups delta links: %v %v", links, err)
		}
		if _, err := d.GroupsDelta(ctx, links[0], func(domain.MemberChange) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if err := d.UsersByID(ctx, []string{porttest.StandardDirectorySeed().Users[0].ID}, func(*domain.User) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SigningKeyReader", func(t *testing.T) {
		// The metadata's trust anchors (archive): the app's SP keys.
		sim := rec.start(t, graphsim.Options{Seed: 1, Mix: graphsim.Mix{App: true}})
		app := sim.Tenant().Apps()[0]
		c, err := graphrest.New(graphrest.Options{BaseURL: sim.URL(), Credential: sim.Credential()})
		if err != nil {
			t.Fatal(err)
		}
		if k, err := c.ServicePrincipalKeys(context.Background(), domain.AppRef{Tenant: sim.TenantID(), AppID: app.AppID}); err != nil || len(k.Keys) == 0 {
			t.Fatalf("signing keys: %+v %v", k, err)
		}
	})
	t.Run("UserDirectory/manyGroups", func(t *testing.T) {
		// Over 20 groups, $expand stops and lookup pages users/{id}/memberOf
		// to be sure no group of the user is assigned.
		sim := rec.start(t, graphsim.Options{Seed: 1})
		ten := sim.Tenant()
		app := ten.CreateApp("Aircall SAML SSO")
		if err := ten.ConfigureAircallApp(app.AppID); err != nil {
			t.Fatal(err)
		}
		u := ten.AddUser(graphsim.User{UserPrincipalName: "many@contoso.example", Mail: "many@contoso.example", AccountEnabled: true, UserType: "Member"})
		for i := 0; i < 21; i++ {
			if err := ten.AddMember(ten.AddGroup(fmt.Sprintf("group %02d", i)), u.ID); err != nil {
				t.Fatal(err)
			}
		}
		d, err := lookup.New(lookup.Options{BaseURL: sim.URL(), Credential: sim.Credential(), Pin: sim.Tenant().FirstAppPin, Owner: graphsim.Caller})
		if err != nil {
			t.Fatal(err)
		}
		if _, a, err := d.FindUser(context.Background(), u.UserPrincipalName); err != nil || a.Kind != domain.AssignmentNone {
			t.Fatalf("user in 21 groups: %+v %v", a, err)
		}
	})
	return rec.list()
}

// seedTenant loads a porttest.DirectorySeed into a simulated tenant with an
// Aircall app (configured as provision leaves it when configure is set).
func seedTenant(t *testing.T, ten *graphsim.Tenant, seed porttest.DirectorySeed, configure bool) (graphsim.AppInfo, func(string) string) {
	t.Helper()
	app := ten.CreateApp("Aircall SAML SSO")
	if configure {
		if err := ten.ConfigureAircallApp(app.AppID); err != nil {
			t.Fatal(err)
		}
	}
	d := graphsim.DirectorySeed{Assign: append(append([]string(nil), seed.AssignedUsers...), seed.AssignedGroups...)}
	for _, u := range seed.Users {
		d.Users = append(d.Users, graphsim.User{ID: u.ID, UserPrincipalName: u.UserPrincipalName, Mail: u.Mail, DisplayName: u.DisplayName,
			UserType: u.UserType, AccountEnabled: u.AccountEnabled})
	}
	for id, g := range seed.Groups {
		d.Groups = append(d.Groups, graphsim.SeedGroup{ID: id, Name: g.Name, Members: g.Members})
	}
	ids, err := ten.LoadDirectory(app.SPID, d)
	if err != nil {
		t.Fatal(err)
	}
	return app, func(id string) string { return ids[id] }
}

// TestEveryCallHasAFixture: every (method, route) the adapters send while
// their conformance suites run has a documented-example fixture, and every
// fixture documents a call they send. A new Graph call fails here until its
// Learn example is added to testdata/.
func TestEveryCallHasAFixture(t *testing.T) {
	sent := recordAdapterCalls(t)
	documented := map[string]bool{}
	for _, f := range loadFixtures(t) {
		documented[f.Call] = true
	}
	for _, c := range sent {
		if !documented[c] {
			t.Errorf("the adapters call %s, which has no fixture in testdata/: add the response of its Microsoft Learn API reference example", c)
		}
		delete(documented, c)
	}
	for c := range documented {
		t.Errorf("testdata/ documents %s, which no adapter sent: remove the fixture or exercise the call", c)
	}
}
