package graphsim_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

func TestIdentifierURIRules(t *testing.T) {
	const urn = "urn:amazon:cognito:sp:us-west-2_hZkGBmIsz"
	for _, tc := range []struct {
		name     string
		mode     graphsim.PolicyMode
		patch    func(appID string) map[string]any
		wantCode string
	}{
		{"v2 tokens exempt in the same patch", graphsim.PolicyDefault, func(string) map[string]any {
			return map[string]any{"api": map[string]any{"requestedAccessTokenVersion": 2}, "identifierUris": []any{urn}}
		}, ""},
		{"verified domain passes default", graphsim.PolicyDefault, func(string) map[string]any {
			return map[string]any{"identifierUris": []any{"https://sso.contoso.com/aircall"}}
		}, ""},
		{"unverified host refused", graphsim.PolicyOff, func(string) map[string]any {
			return map[string]any{"identifierUris": []any{"https://sso.aircall.io"}}
		}, "HostNameNotOnVerifiedDomain"},
		{"api://appId passes strict", graphsim.PolicyStrict, func(appID string) map[string]any {
			return map[string]any{"identifierUris": []any{"api://" + appID}}
		}, ""},
		{"trailing slash", graphsim.PolicyOff, func(string) map[string]any {
			return map[string]any{"identifierUris": []any{"urn:x/"}}
		}, "Request_BadRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := graphsim.Start(t, graphsim.Options{})
			srv.Tenant().SetPolicyMode(tc.mode)
			app := srv.Tenant().CreateApp("Aircall")
			r := call(t, srv, "PATCH", "/v1.0/applications/"+app.ObjectID, tc.patch(app.AppID), nil)
			if tc.wantCode == "" && r.status != 204 || tc.wantCode != "" && (r.status != 400 || r.errCode() != tc.wantCode) {
				t.Fatalf("got %d %s, want %q", r.status, r.raw, tc.wantCode)
			}
			pol := call(t, srv, "GET", "/v1.0/policies/defaultAppManagementPolicy", nil, nil)
			if pol.status != 200 || pol.body["isEnabled"] != (tc.mode != graphsim.PolicyOff) {
				t.Errorf("defaultAppManagementPolicy: %d %s", pol.status, pol.raw)
			}
		})
	}
}
