package graphsim_test

import (
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

func TestAssignmentsMembersAndClaims(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 11, Users: 5000, Mix: graphsim.Mix{DirectAssigned: 0.1, GroupAssigned: 0.2, NestedOnly: 0.05}})
	ten := srv.Tenant()
	apps := ten.Apps()
	if len(apps) != 1 {
		t.Fatalf("%d seeded apps", len(apps))
	}
	var direct, group, nested int
	var gid string
	ten.EachTruth(func(tr graphsim.Truth) bool {
		switch tr.Access {
		case graphsim.AccessDirect:
			direct++
		case graphsim.AccessGroup:
			group++
			gid = tr.Group
		case graphsim.AccessNestedOnly:
			nested++
		}
		return true
	})
	items, _ := scanAll(t, srv, "/v1.0/servicePrincipals/"+apps[0].SPID+"/appRoleAssignedTo?$top=999", nil)
	users, groups := 0, 0
	for _, a := range items {
		switch a["principalType"] {
		case "User":
			users++
		case "Group":
			groups++
		}
	}
	if users != direct || groups != 1 {
		t.Errorf("assignments: %d users (want %d), %d groups (want 1)", users, direct, groups)
	}
	members, _ := scanAll(t, srv, "/v1.0/groups/"+gid+"/members?$select=id,userPrincipalName,mail&$top=999", nil)
	var memberUsers, memberGroups int
	for _, m := range members {
		switch m["@odata.type"] {
		case "#microsoft.graph.user":
			memberUsers++
		case "#microsoft.graph.group":
			memberGroups++
		}
	}
	if memberUsers != group || memberGroups != 1 {
		t.Errorf("members: %d users (want %d direct), %d nested groups (want 1)", memberUsers, group, memberGroups)
	}
	// Claims: the seeded app has a mapping policy; the beta policy can be put.
	r := call(t, srv, "GET", "/v1.0/servicePrincipals/"+apps[0].SPID+"/claimsMappingPolicies", nil, nil)
	if len(r.values()) != 1 || !strings.Contains(r.values()[0]["definition"].([]any)[0].(string), "userprincipalname") {
		t.Errorf("claims mapping policies: %s", r.raw)
	}
	if r := call(t, srv, "GET", "/beta/servicePrincipals/"+apps[0].SPID+"/claimsPolicy", nil, nil); r.status != 404 {
		t.Errorf("no custom claims policy yet: %d", r.status)
	}
	claim := map[string]any{"claims": []any{map[string]any{"@odata.type": "#microsoft.graph.customClaim", "name": "emailaddress", "tokenFormat": []any{"saml"},
		"configurations": []any{map[string]any{"attribute": map[string]any{"@odata.type": "#microsoft.graph.sourcedAttribute", "id": "userprincipalname", "source": "user"}}}}}}
	if r := call(t, srv, "PUT", "/beta/servicePrincipals/"+apps[0].SPID+"/claimsPolicy", claim, nil); r.status != 201 {
		t.Errorf("put claimsPolicy: %d %s", r.status, r.raw)
	}
	if r := call(t, srv, "GET", "/beta/servicePrincipals/"+apps[0].SPID+"/claimsPolicy", nil, nil); r.status != 200 || len(r.body["claims"].([]any)) != 1 {
		t.Errorf("get claimsPolicy: %d %s", r.status, r.raw)
	}
	// A duplicate assignment is refused.
	first := items[len(items)-1]
	body := map[string]any{"principalId": first["principalId"], "resourceId": apps[0].SPID, "appRoleId": first["appRoleId"]}
	if r := call(t, srv, "POST", "/v1.0/servicePrincipals/"+apps[0].SPID+"/appRoleAssignedTo", body, nil); r.status != 400 {
		t.Errorf("duplicate assignment: %d %s", r.status, r.raw)
	}
}
