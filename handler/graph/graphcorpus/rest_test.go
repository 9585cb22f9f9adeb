package graphcorpus_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/lookup"
)

// The fixtures' own ids (testdata/*.json).
const (
	fxObject = "a0000000-0000-4000-8000-0000000000a1"
	fxAppID  = "a0000000-0000-4000-8000-0000000000a2"
	fxSP     = "a0000000-0000-4000-8000-0000000000a3"
	fxUser   = "b0000000-0000-4000-8000-0000000000b1"
	fxGroup  = "c0000000-0000-4000-8000-0000000000c1"
	fxOwner  = "e0000000-0000-4000-8000-0000000000e1"
)

// fxPin and fxOwnerID resolve the fixtures' app as the pinned one, owned
// by the fixtures' owner (docs/security.md).
func fxPin(context.Context) (domain.PinnedApp, error) {
	return domain.PinnedApp{AppID: fxAppID, ObjectID: fxObject, ServicePrincipalID: fxSP}, nil
}

func fxOwnerID(context.Context) (string, error) { return fxOwner, nil }

type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "corpus"}, nil
}

// fixtureServer answers each request with the fixture of its method and
// route (the variant whose When the query contains, else the plain one);
// override replaces a fixture's response by call. Absolute Graph links in
// the examples point back at the server.
func fixtureServer(t *testing.T, fs []fixture, override map[string]string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var best *fixture
		for i := range fs {
			f := &fs[i]
			if f.method() != r.Method || !routeMatches(f.route(), r.URL.Path) {
				continue
			}
			if f.When != "" && !strings.Contains(r.URL.RawQuery, strings.ReplaceAll(f.When, "$", "%24")) && !strings.Contains(r.URL.RawQuery, f.When) {
				continue
			}
			if best == nil || f.When != "" {
				best = f
			}
		}
		if best == nil {
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"error":{"code":"Request_ResourceNotFound","message":"no fixture for ` + r.Method + " " + r.URL.Path + `"}}`))
			return
		}
		body := string(best.Response)
		if o, ok := override[best.Call]; ok {
			body = o
		}
		body = strings.ReplaceAll(body, "https://graph.microsoft.com", srv.URL)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(best.Status)
		if best.Status != http.StatusNoContent {
			_, _ = w.Write([]byte(body))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// routeMatches matches a path against a route with {param} segments.
func routeMatches(route, path string) bool {
	rs, ps := strings.Split(strings.Trim(route, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	if len(rs) != len(ps) {
		return false
	}
	for i := range rs {
		if !strings.HasPrefix(rs[i], "{") && !strings.EqualFold(rs[i], ps[i]) {
			return false
		}
	}
	return true
}

// TestRESTDecodesTheDocumentedExamples: the lean REST client (graphrest)
// and the one-user lookup (lookup) read every rest:* example — and the SDK
// examples of the lists they share — through their own decoders, over the
// wire, and get the example's values.
func TestRESTDecodesTheDocumentedExamples(t *testing.T) {
	fs := loadFixtures(t)
	srv := fixtureServer(t, fs, nil)
	ctx := context.Background()
	c, err := graphrest.New(graphrest.Options{BaseURL: srv.URL, Credential: staticCred{}, Pin: fxPin, Owner: fxOwnerID})
	if err != nil {
		t.Fatal(err)
	}
	var users []domain.User
	if _, err := c.ListUsers(ctx, domain.UserRange{}, "", func(u *domain.User) error { users = append(users, *u); return nil }); err != nil ||
		len(users) != 1 || users[0].ID != fxUser || users[0].UserPrincipalName != "ann@contoso.example" || users[0].Mail != "ann.smith@contoso.example" ||
		!users[0].AccountEnabled || users[0].UserType != "Member" || users[0].DisplayName != "Ann Smith" {
		t.Errorf("user-list through graphrest: %+v %v", users, err)
	}
	if n, err := c.CountUsers(ctx, domain.UserRange{}); err != nil || n != 1 {
		t.Errorf("user-list @odata.count through graphrest: %d %v", n, err)
	}
	users = nil
	info, err := c.UsersDelta(ctx, "", func(u *domain.User) error { users = append(users, *u); return nil })
	if err != nil || len(users) != 2 || users[0].ID != fxUser || !strings.Contains(info.DeltaLink, "corpus-token-1") {
		t.Errorf("user-delta through graphrest: %+v %+v %v", users, info, err)
	}
	if link, err := c.LatestDeltaLink(ctx); err != nil || !strings.Contains(link, "corpus-token-1") {
		t.Errorf("user-delta deltaLink through graphrest: %q %v", link, err)
	}
	var members []domain.DirectoryMember
	if _, err := c.GroupMembers(ctx, fxGroup, "", func(m domain.DirectoryMember) error { members = append(members, m); return nil }); err != nil ||
		len(members) != 2 || members[0] != (domain.DirectoryMember{ID: fxUser, Type: "user"}) || members[1].Type != "group" {
		t.Errorf("group-list-members through graphrest: %+v %v", members, err)
	}
	members = nil
	if _, err := c.GroupUsers(ctx, fxGroup, domain.UserRange{}, "", func(m domain.DirectoryMember) error { members = append(members, m); return nil }); err != nil ||
		len(members) != 1 || members[0] != (domain.DirectoryMember{ID: fxUser, Type: "user"}) {
		t.Errorf("group-list-members cast to users through graphrest: %+v %v", members, err)
	}
	if n, err := c.CountGroupUsers(ctx, fxGroup, domain.UserRange{}); err != nil || n != 1 {
		t.Errorf("group-list-members cast @odata.count through graphrest: %d %v", n, err)
	}
	var changes []domain.MemberChange
	info, err = c.GroupsDelta(ctx, "/v1.0/groups/delta?$select=members", func(ch domain.MemberChange) error { changes = append(changes, ch); return nil })
	if err != nil || len(changes) != 2 || changes[0] != (domain.MemberChange{GroupID: fxGroup, Member: domain.DirectoryMember{ID: fxUser, Type: "user"}}) ||
		!changes[1].Removed || !strings.Contains(info.DeltaLink, "corpus-token-2") {
		t.Errorf("group-delta through graphrest: %+v %+v %v", changes, info, err)
	}
	var assigned []domain.AppAssignment
	if _, err := c.AppAssignments(ctx, fxSP, "", func(a domain.AppAssignment) error { assigned = append(assigned, a); return nil }); err != nil ||
		len(assigned) != 1 || assigned[0].PrincipalID != fxUser {
		t.Errorf("serviceprincipal-list-approleassignedto through graphrest: %+v %v", assigned, err)
	}
	if sp, err := c.FindAppServicePrincipal(ctx); err != nil || sp != fxSP {
		t.Errorf("applications/servicePrincipals lists through graphrest: %q %v", sp, err)
	}
	d, err := lookup.New(lookup.Options{BaseURL: srv.URL, Credential: staticCred{}, Pin: fxPin, Owner: fxOwnerID})
	if err != nil {
		t.Fatal(err)
	}
	if u, a, err := d.FindUser(ctx, "ann@contoso.example"); err != nil || u.ID != fxUser || a.Kind != domain.AssignmentDirect {
		t.Errorf("users $expand=memberOf through lookup: %+v %+v %v", u, a, err)
	}
	if cl, err := d.EmailClaim(ctx); err != nil || cl.Source != domain.ClaimFromUPN {
		t.Errorf("claimsMappingPolicies and claimsPolicy through lookup: %+v %v", cl, err)
	}
}

// TestLookupDecodesMemberOf: with 20 groups expanded (Graph's cap) and the
// user's group assigned, lookup pages users/{id}/memberOf and finds the
// group by the example's id and name.
func TestLookupDecodesMemberOf(t *testing.T) {
	fs := loadFixtures(t)
	var ue map[string]any
	for _, f := range fs {
		if f.name == "user-list-expand-memberof" {
			if err := json.Unmarshal(f.Response, &ue); err != nil {
				t.Fatal(err)
			}
		}
	}
	user := ue["value"].([]any)[0].(map[string]any)
	var many []any
	for i := 0; i < 20; i++ {
		many = append(many, map[string]any{"@odata.type": "#microsoft.graph.group", "id": "c0000000-0000-4000-8000-0000000001" + string(rune('a'+i%6)) + string(rune('0'+i/6)), "displayName": "other"})
	}
	user["memberOf"] = many
	expand, _ := json.Marshal(ue)
	assignment := `{"value":[{"id":"e1","appRoleId":"18d14569-c3bd-439b-9a66-3a2aee01d14f","principalDisplayName":"Aircall users","principalId":"` + fxGroup +
		`","principalType":"Group","resourceId":"` + fxSP + `"}]}`
	srv := fixtureServer(t, fs, map[string]string{"GET /v1.0/users": string(expand), "GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo": assignment})
	d, err := lookup.New(lookup.Options{BaseURL: srv.URL, Credential: staticCred{}, Pin: fxPin, Owner: fxOwnerID})
	if err != nil {
		t.Fatal(err)
	}
	if _, a, err := d.FindUser(context.Background(), "ann@contoso.example"); err != nil || a.Kind != domain.AssignmentGroup || a.Group != "Aircall users" {
		t.Fatalf("user-list-memberof through lookup: %+v %v", a, err)
	}
}
