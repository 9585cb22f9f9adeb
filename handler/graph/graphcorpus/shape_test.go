package graphcorpus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

// simTenant is a simulated tenant holding one of everything the fixtures'
// requests name, and the values of their placeholders.
func simTenant(t *testing.T) (*graphsim.Server, map[string]string) {
	t.Helper()
	sim := graphsim.Start(t, graphsim.Options{Seed: 3})
	ten := sim.Tenant()
	app := ten.CreateApp("Aircall SAML SSO")
	if err := ten.ConfigureAircallApp(app.AppID); err != nil {
		t.Fatal(err)
	}
	ann := ten.AddUser(graphsim.User{UserPrincipalName: "ann@contoso.example", Mail: "ann.smith@contoso.example", DisplayName: "Ann Smith", AccountEnabled: true, UserType: "Member"})
	bob := ten.AddUser(graphsim.User{UserPrincipalName: "bob@contoso.example", Mail: "bob@contoso.example", DisplayName: "Bob", AccountEnabled: true, UserType: "Member"})
	group := ten.AddGroup("Aircall users")
	if err := ten.AddMember(group, ann.ID); err != nil {
		t.Fatal(err)
	}
	if err := ten.AddMember(group, ten.AddGroup("Nested")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{ann.ID, group} {
		if err := ten.Assign(app.SPID, p); err != nil {
			t.Fatal(err)
		}
	}
	vals := map[string]string{"app": app.ObjectID, "appId": app.AppID, "sp": app.SPID, "user": ann.ID, "upn": ann.UserPrincipalName,
		"group": group, "user2": bob.ID}
	_, sp := simCall(t, sim, http.MethodGet, "/v1.0/servicePrincipals/"+app.SPID+"?$select=appRoles", nil, nil)
	for _, r := range sp["appRoles"].([]any) {
		if m := r.(map[string]any); m["displayName"] == "User" {
			vals["role"] = m["id"].(string)
		}
	}
	_, pols := simCall(t, sim, http.MethodGet, "/v1.0/servicePrincipals/"+app.SPID+"/claimsMappingPolicies", nil, nil)
	vals["policy"] = pols["value"].([]any)[0].(map[string]any)["id"].(string)
	// The app's claims policy, as the Entra admin center writes it
	// (learn.microsoft.com/graph/api/serviceprincipal-put-claimspolicy?view=graph-rest-beta).
	put := map[string]any{"includeBasicClaimSet": true, "claims": []any{map[string]any{"@odata.type": "#microsoft.graph.customClaim",
		"name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "tokenFormat": []any{"saml"},
		"configurations": []any{map[string]any{"attribute": map[string]any{"@odata.type": "#microsoft.graph.sourcedAttribute", "id": "userprincipalname", "source": "user"}}}}}}
	if status, out := simCall(t, sim, http.MethodPut, "/beta/servicePrincipals/"+app.SPID+"/claimsPolicy", put, nil); status/100 != 2 {
		t.Fatalf("PUT claimsPolicy: %d %v", status, out)
	}
	return sim, vals
}

// simCall sends one request with the simulator's token and decodes the
// JSON answer (nil when there is none).
func simCall(t *testing.T, sim *graphsim.Server, method, path string, body any, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	u, err := url.Parse(sim.URL() + path)
	if err != nil {
		t.Fatal(err)
	}
	u.RawQuery = url.Values(must(url.ParseQuery(u.RawQuery))).Encode()
	req, _ := http.NewRequest(method, u.String(), rd)
	tok, err := sim.Credential().GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

func must(v url.Values, err error) url.Values {
	if err != nil {
		panic(err)
	}
	return v
}

// order runs reads before writes, and detaching the claims mapping policy
// before attaching it again.
func order(f fixture) int {
	switch {
	case f.method() == http.MethodGet:
		return 0
	case f.method() == http.MethodPatch:
		return 1
	case f.method() == http.MethodDelete:
		return 3
	case strings.HasSuffix(f.route(), "/$ref"):
		return 4
	}
	return 2
}

// TestSimulatorAnswersWithTheDocumentedShape: the simulator answers each
// fixture's request with the example's status and, at every path the code
// reads, a value of the example's JSON type.
func TestSimulatorAnswersWithTheDocumentedShape(t *testing.T) {
	fs := loadFixtures(t)
	sort.SliceStable(fs, func(i, j int) bool { return order(fs[i]) < order(fs[j]) })
	sim, vals := simTenant(t)
	fill := func(s string) string {
		for k, v := range vals {
			s = strings.ReplaceAll(s, "{"+k+"}", v)
		}
		return s
	}
	for _, f := range fs {
		var body any
		if f.Body != nil {
			b, _ := json.Marshal(f.Body)
			if err := json.Unmarshal([]byte(fill(string(b))), &body); err != nil {
				t.Fatal(err)
			}
		}
		status, got := simCall(t, sim, f.method(), fill(f.Request), body, f.Headers)
		if status != f.Status {
			t.Errorf("%s (%s): the simulator answered %d %v, the example %d", f.name, f.Page, status, got, f.Status)
			continue
		}
		var doc any
		_ = json.Unmarshal(f.Response, &doc)
		for _, p := range f.Reads {
			want, _ := at(doc, p)
			have, ok := at(any(got), p)
			if !ok || jsonType(have) != jsonType(want) {
				t.Errorf("%s (%s): at %s the simulator has %s %v, the example %s", f.name, f.Page, p, jsonType(have), have, jsonType(want))
			}
		}
	}
}
