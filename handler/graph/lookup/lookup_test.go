package lookup_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
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
	srv := graphsim.Start(t, graphsim.Options{Seed: 1})
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
	d, err := lookup.New(lookup.Options{BaseURL: srv.URL(), Credential: srv.Credential(), Pin: app.PinFunc(), Owner: graphsim.Caller})
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
		u, _, err := d.FindUser(ctx, "ann.smith@contoso.com")
		if err != nil || u.UserPrincipalName != "ann@contoso.com" {
			t.Fatalf("FindUser under faults: %+v %v", u, err)
		}
	}
	if st := srv.Tenant().Stats(); st.Injected["429"] == 0 || st.Injected["503"] == 0 {
		t.Fatalf("no fault was injected: %+v", st)
	}
}

func TestMissingApp(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 1})
	d, _ := lookup.New(lookup.Options{BaseURL: srv.URL(), Credential: srv.Credential(), Pin: srv.Tenant().FirstAppPin, Owner: graphsim.Caller})
	_, err := d.EmailClaim(context.Background())
	if !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("no app in the tenant: got %v, want ENOTFOUND with advice", err)
	}
}

// TestOneRoundTrip: once the app-wide facts are cached, a lookup is one
// Graph request, whatever the user's assignment, and a stale cache is
// refreshed in the background while the lookup answers from it.
func TestOneRoundTrip(t *testing.T) {
	d, srv := simDirectory(t, porttest.StandardDirectorySeed())
	ctx := context.Background()
	if _, _, err := d.FindUser(ctx, "bob@contoso.com"); err != nil { // warms the caches
		t.Fatal(err)
	}
	for _, key := range []string{"ann.smith@contoso.com", "bob@contoso.com", "cy@contoso.com", "nobody@contoso.com"} {
		before := total(srv.Tenant().Stats().Requests)
		_, _, err := d.FindUser(ctx, key)
		if err != nil && !domain.IsCode(err, domain.ENOTFOUND) {
			t.Fatal(err)
		}
		if n := total(srv.Tenant().Stats().Requests) - before; n != 1 {
			t.Errorf("FindUser(%s) made %d Graph requests, want 1", key, n)
		}
	}
}

// TestManyGroups: Graph expands at most 20 groups; a user whose assigned
// group lies beyond them is still found assigned, with a second request.
func TestManyGroups(t *testing.T) {
	d, srv := simDirectory(t, porttest.StandardDirectorySeed())
	ten := srv.Tenant()
	var gids []string
	for i := 0; i < 25; i++ {
		gid := ten.AddGroup(fmt.Sprintf("Team %02d", i))
		if err := ten.AddMember(gid, "00000000-0000-0000-0000-00000000000c"); err != nil {
			t.Fatal(err)
		}
		gids = append(gids, gid)
	}
	sort.Strings(gids)
	last := gids[len(gids)-1] // the simulator lists groups in id order
	var sp string
	for _, a := range ten.Apps() {
		sp = a.SPID
	}
	if err := ten.Assign(sp, last); err != nil {
		t.Fatal(err)
	}
	_, got, err := d.FindUser(context.Background(), "cy@contoso.com")
	if err != nil || got.Kind != domain.AssignmentGroup {
		t.Fatalf("user in 26 groups, the assigned one beyond the first 20: %+v, %v; want assigned through a group", got, err)
	}
	if n := srv.Tenant().Stats().Requests["GET /v1.0/users/{id}/memberOf"]; n != 1 {
		t.Errorf("memberOf paged %d times, want 1 (after the expansion was cut at 20)", n)
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestExpandRefusedFallsBack: should Graph refuse $expand=memberOf for one
// lookup (400), that lookup asks for the user alone and pages their groups;
// the next lookup tries the one-request form again (a refusal caused by one
// request's input must not switch it off for the process).
func TestExpandRefusedFallsBack(t *testing.T) {
	d, srv := simDirectory(t, porttest.StandardDirectorySeed())
	ten := srv.Tenant()
	var expanded atomic.Int32
	ten.FailNext(1, http.StatusBadRequest, func(r *http.Request) bool {
		if r.URL.Query().Get("$expand") != "" {
			expanded.Add(1)
			return true
		}
		return false
	})
	for i := 0; i < 2; i++ {
		_, got, err := d.FindUser(context.Background(), "bob@contoso.com")
		if err != nil || got != (domain.Assignment{Kind: domain.AssignmentGroup, Group: "Aircall users"}) {
			t.Fatalf("lookup %d after the refusal: %+v, %v; want assigned through Aircall users", i+1, got, err)
		}
	}
	if n := expanded.Load(); n != 1 {
		t.Errorf("the refusal was injected %d times, want once", n)
	}
	if n := ten.Stats().Requests["GET /v1.0/users/{id}/memberOf"]; n != 1 {
		t.Errorf("memberOf paged %d times, want 1 (only the refused lookup)", n)
	}
}

// TestLongKeyUsesAdvancedQuery: Graph matches eq values of at most 120
// characters in a default query (learn.microsoft.com/graph/known-issues);
// a user whose mail is longer is found with an advanced query (no
// $expand: not supported there), their groups paged.
func TestLongKeyUsesAdvancedQuery(t *testing.T) {
	d, srv := simDirectory(t, porttest.StandardDirectorySeed())
	ten := srv.Tenant()
	long := strings.Repeat("x", 130) + "@contoso.com"
	id := "00000000-0000-0000-0000-0000000000aa"
	ten.AddUser(graphsim.User{ID: id, UserPrincipalName: "longmail@contoso.com", Mail: long, DisplayName: "Long", UserType: "Member", AccountEnabled: true})
	u, a, err := d.FindUser(context.Background(), long)
	if err != nil || u.ID != id || a.Kind != domain.AssignmentNone {
		t.Fatalf("FindUser(long mail): %+v %+v %v", u, a, err)
	}
	if _, _, err := d.FindUser(context.Background(), strings.Repeat("y", 257)); !domain.IsCode(err, domain.EINVALID) {
		t.Errorf("a 257-character key: %v, want EINVALID", err)
	}
}
