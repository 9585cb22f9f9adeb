package graphsim_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

// TestDocumentedQueryRules: each row of rules.go's query table, refused
// and allowed as the advanced query capabilities page says
// (learn.microsoft.com/graph/aad-advanced-queries).
func TestDocumentedQueryRules(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 3, Users: 30})
	adv := map[string]string{"ConsistencyLevel": "eventual"}
	upn := srv.Tenant().Truth(0).User.UserPrincipalName
	f := url.QueryEscape("startswith(userPrincipalName,'a')")
	for _, tc := range []struct {
		name, path string
		hdr        map[string]string
		status     int
	}{
		{"$orderby=displayName alone (default)", "/v1.0/users?$orderby=displayName", nil, 200},
		{"$orderby=userPrincipalName alone (default)", "/v1.0/users?$orderby=userPrincipalName", nil, 200},
		{"$orderby=createdDateTime needs advanced", "/v1.0/users?$orderby=createdDateTime", nil, 400},
		{"$orderby=createdDateTime advanced", "/v1.0/users?$orderby=createdDateTime&$count=true", adv, 200},
		{"$filter with $orderby refused", "/v1.0/users?$orderby=displayName&$filter=" + f, nil, 400},
		{"$filter with $orderby in an advanced query", "/v1.0/users?$orderby=displayName&$filter=" + f + "&$count=true", adv, 200},
		{"$expand alone", "/v1.0/users?$expand=memberOf", nil, 200},
		{"$expand in an advanced query refused", "/v1.0/users?$expand=memberOf&$count=true", adv, 400},
		{"$expand with ConsistencyLevel but no $count", "/v1.0/users?$expand=memberOf&$filter=" + url.QueryEscape("userPrincipalName eq '"+upn+"'"), adv, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, srv, "GET", tc.path, nil, tc.hdr)
			if r.status != tc.status {
				t.Fatalf("%s: %d %s, want %d", tc.path, r.status, r.raw, tc.status)
			}
			if tc.status == 400 && r.errCode() != "Request_UnsupportedQuery" {
				t.Fatalf("code %q", r.errCode())
			}
		})
	}
}

// TestDeltaFilterByID: users/delta takes $filter=id eq … or …, up to 50
// (learn.microsoft.com/graph/delta-query-overview), and the round and the
// next one carry only those users.
func TestDeltaFilterByID(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 4, Users: 40})
	ten := srv.Tenant()
	a, b := ten.Truth(3).User.ID, ten.Truth(7).User.ID
	q := url.QueryEscape("id eq '" + a + "' or id eq '" + b + "'")
	r := call(t, srv, "GET", "/v1.0/users/delta?$select=displayName&$filter="+q, nil, nil)
	if r.status != 200 || len(r.values()) != 2 {
		t.Fatalf("filtered delta: %d %s", r.status, r.raw)
	}
	dl := r.str("@odata.deltaLink")
	if err := ten.UpdateUser(a, func(u *graphsim.User) { u.DisplayName = "Changed A" }); err != nil {
		t.Fatal(err)
	}
	if err := ten.UpdateUser(ten.Truth(9).User.ID, func(u *graphsim.User) { u.DisplayName = "Changed other" }); err != nil {
		t.Fatal(err)
	}
	r = call(t, srv, "GET", dl, nil, nil)
	if v := r.values(); r.status != 200 || len(v) != 1 || v[0]["id"] != a {
		t.Fatalf("next round: %d %s, want only %s", r.status, r.raw, a)
	}
	var terms []string
	for i := 0; i < 51; i++ {
		terms = append(terms, fmt.Sprintf("id eq '%08d-0000-0000-0000-000000000000'", i))
	}
	if r := call(t, srv, "GET", "/v1.0/users/delta?$filter="+url.QueryEscape(strings.Join(terms, " or ")), nil, nil); r.status != 400 {
		t.Fatalf("51 ids: %d, want 400", r.status)
	}
	if r := call(t, srv, "GET", "/v1.0/users/delta?$filter="+url.QueryEscape(strings.Join(terms[:50], " or ")), nil, nil); r.status != 200 {
		t.Fatalf("50 ids: %d %s", r.status, r.raw)
	}
	if r := call(t, srv, "GET", "/v1.0/users/delta?$filter="+url.QueryEscape("displayName eq 'x'"), nil, nil); r.status != 400 {
		t.Fatalf("displayName filter on delta: %d, want 400", r.status)
	}
}

// TestResourceUnitCosts: Microsoft's identity and access table
// (learn.microsoft.com/graph/throttling-limits): base costs, $select −1,
// $expand +1, $top < 20 −1, never below 1, writes 1.
func TestResourceUnitCosts(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 5, Users: 10})
	ten := srv.Tenant()
	app := ten.CreateApp("costs")
	uid := ten.Truth(0).User.ID
	for _, tc := range []struct {
		method, path string
		want         string
	}{
		{"GET", "/v1.0/applications", "2"},
		{"GET", "/v1.0/applications?$select=id", "1"},
		{"GET", "/v1.0/applications?$select=id&$top=5", "1"},
		{"GET", "/v1.0/applications/" + app.ObjectID, "1"},
		{"GET", "/v1.0/users", "2"},
		{"GET", "/v1.0/users?$top=10", "1"},
		{"GET", "/v1.0/users?$top=20", "2"},
		{"GET", "/v1.0/users?$select=id&$expand=memberOf", "2"},
		{"GET", "/v1.0/users?$expand=memberOf", "3"},
		{"GET", "/v1.0/users/" + uid + "/memberOf", "2"},
		{"GET", "/v1.0/users/" + uid + "/memberOf?$select=id", "1"},
		{"GET", "/v1.0/users/" + uid + "?$select=id", "1"},
		{"GET", "/v1.0/users/delta", "1"},
		{"PATCH", "/v1.0/applications/" + app.ObjectID, "1"},
	} {
		var body any
		if tc.method == "PATCH" {
			body = map[string]any{"notes": "n"}
		}
		r := call(t, srv, tc.method, tc.path, body, nil)
		if got := r.header.Get("x-ms-resource-unit"); got != tc.want {
			t.Errorf("%s %s: x-ms-resource-unit %q (status %d), want %s", tc.method, tc.path, got, r.status, tc.want)
		}
	}
}

// TestIdentifierURIExemptions: SAML apps and apps receiving v2 tokens are
// exempt from both identifier-URI restrictions
// (learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions,
// identifierUriRestriction's excludeSaml and excludeAppsReceivingV2Tokens).
func TestIdentifierURIExemptions(t *testing.T) {
	for _, mode := range []graphsim.PolicyMode{graphsim.PolicyDefault, graphsim.PolicyStrict} {
		t.Run(string(mode), func(t *testing.T) {
			srv := graphsim.Start(t, graphsim.Options{Seed: 6, Users: 1})
			ten := srv.Tenant()
			ten.SetPolicyMode(mode)
			patch := func(app graphsim.AppInfo, uri string) int {
				return call(t, srv, "PATCH", "/v1.0/applications/"+app.ObjectID, map[string]any{"identifierUris": []string{uri}}, nil).status
			}
			plain := ten.CreateApp("plain")
			if s := patch(plain, "urn:aircall:one"); s != 400 {
				t.Fatalf("no exemption: %d, want 400", s)
			}
			samlApp := ten.CreateApp("saml")
			if r := call(t, srv, "PATCH", "/v1.0/servicePrincipals/"+samlApp.SPID, map[string]any{"preferredSingleSignOnMode": "saml"}, nil); r.status != 204 {
				t.Fatalf("saml mode: %d %s", r.status, r.raw)
			}
			if s := patch(samlApp, "urn:aircall:two"); s != 204 {
				t.Fatalf("SAML app: %d, want 204", s)
			}
			v2 := ten.CreateApp("v2")
			r := call(t, srv, "PATCH", "/v1.0/applications/"+v2.ObjectID, map[string]any{
				"api": map[string]any{"requestedAccessTokenVersion": 2}, "identifierUris": []string{"urn:aircall:three"}}, nil)
			if r.status != 204 {
				t.Fatalf("v2-token app: %d %s, want 204", r.status, r.raw)
			}
		})
	}
}

// TestSSOModeExternal: "external" (linked sign-on) is accepted next to the
// reference's password, saml, notSupported and oidc; other values are not.
func TestSSOModeExternal(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 7, Users: 1})
	app := srv.Tenant().CreateApp("linked")
	if r := call(t, srv, "PATCH", "/v1.0/servicePrincipals/"+app.SPID, map[string]any{"preferredSingleSignOnMode": "external"}, nil); r.status != 204 {
		t.Fatalf("external: %d %s", r.status, r.raw)
	}
	if r := call(t, srv, "PATCH", "/v1.0/servicePrincipals/"+app.SPID, map[string]any{"preferredSingleSignOnMode": "kerberos"}, nil); r.status != 400 {
		t.Fatalf("kerberos: %d, want 400", r.status)
	}
}

// TestOrderByDisplayName: $orderby=displayName pages through every user
// once, sorted by displayName (not userPrincipalName), both directions.
func TestOrderByDisplayName(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 8, Users: 25})
	srv.Tenant().AddUser(graphsim.User{UserPrincipalName: "aaa@contoso.com", DisplayName: "Zed Last", AccountEnabled: true})
	srv.Tenant().AddUser(graphsim.User{UserPrincipalName: "zzz@contoso.com", DisplayName: "Abe First", AccountEnabled: true})
	for _, dir := range []string{"", " desc"} {
		var names []string
		next := "/v1.0/users?$select=displayName&$top=7&$orderby=" + url.QueryEscape("displayName"+dir)
		for next != "" {
			r := call(t, srv, "GET", next, nil, nil)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", next, r.status, r.raw)
			}
			for _, v := range r.values() {
				names = append(names, strings.ToLower(v["displayName"].(string)))
			}
			next = r.str("@odata.nextLink")
		}
		if len(names) != 27 {
			t.Fatalf("%q: %d users, want 27", dir, len(names))
		}
		for i := 1; i < len(names); i++ {
			if (dir == "" && names[i-1] > names[i]) || (dir != "" && names[i-1] < names[i]) {
				t.Fatalf("%q: out of order at %d: %q then %q", dir, i, names[i-1], names[i])
			}
		}
	}
}
