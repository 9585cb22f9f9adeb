package graph_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/claimsdoc"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/lookup"
)

// TestBothAdaptersReadTheSameClaim reads the emailaddress claim of one
// simulated tenant through both Graph adapters — the SDK client (provision)
// and lookup (diagnosis) — and wants the same answer. Before claimsdoc.Resolve
// they disagreed: the SDK client let any attached claims mapping policy win
// (even one that does not source the claim) and read a 400 on the beta
// claimsPolicy as "none", lookup did neither.
func TestBothAdaptersReadTheSameClaim(t *testing.T) {
	upnCustom := map[string]any{"claims": []any{map[string]any{
		"name": "emailaddress", "namespace": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims",
		"configurations": []any{map[string]any{"attribute": map[string]any{"id": "userPrincipalName", "source": "user"}}},
	}}}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, s *simHarness, spID string)
		// before runs before each adapter's read.
		before func(s *simHarness)
		want   domain.ClaimConfig
		code   domain.Code
	}{
		{name: "nothing configured", want: domain.ClaimConfig{Source: domain.ClaimFromMail, Origin: domain.ClaimOriginDefault}},
		{name: "custom claims policy", setup: func(t *testing.T, s *simHarness, spID string) {
			putCustom(t, s, spID, upnCustom)
		}, want: domain.ClaimConfig{Source: domain.ClaimFromUPN, Origin: domain.ClaimOriginClaimsPolicy}},
		{name: "attached mapping policy without the claim, custom policy with it", setup: func(t *testing.T, s *simHarness, spID string) {
			attachPolicy(t, s, spID, `{"ClaimsMappingPolicy":{"Version":1,"IncludeBasicClaimSet":"true","ClaimsSchema":[{"Source":"user","ID":"userprincipalname","SamlClaimType":"`+domain.NameIDClaimType+`"}]}}`)
			putCustom(t, s, spID, upnCustom)
		}, want: domain.ClaimConfig{Source: domain.ClaimFromUPN, Origin: domain.ClaimOriginClaimsPolicy}},
		{name: "attached mapping policy with the claim wins", setup: func(t *testing.T, s *simHarness, spID string) {
			attachPolicy(t, s, spID, claimsdoc.MappingDefinition(domain.ClaimFromMail))
			putCustom(t, s, spID, upnCustom)
		}, want: domain.ClaimConfig{Source: domain.ClaimFromMail, Origin: domain.ClaimOriginMappingPolicy}},
		{name: "beta claimsPolicy answers 400", before: func(s *simHarness) {
			s.failNext(1, http.StatusBadRequest, "/claimsPolicy")
		}, code: domain.EUPSTREAM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newSim(t)
			c := newClient(t, s)
			app, err := c.Instantiate(ctx, "Aircall claims")
			if err != nil {
				t.Fatal(err)
			}
			if tc.setup != nil {
				tc.setup(t, s, app.ServicePrincipalID)
			}
			d, err := lookup.New(lookup.Options{BaseURL: s.url, Credential: s.cred, Owner: graphsim.Caller,
				Pin: func(context.Context) (domain.PinnedApp, error) {
					return domain.PinnedApp{AppID: app.AppID, ObjectID: app.ObjectID, ServicePrincipalID: app.ServicePrincipalID}, nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			if tc.before != nil {
				tc.before(s)
			}
			st, sdkErr := c.EmailClaim(ctx, app.ServicePrincipalID)
			if tc.before != nil {
				tc.before(s)
			}
			got, lookupErr := d.EmailClaim(ctx)
			if domain.ErrorCode(sdkErr) != tc.code || domain.ErrorCode(lookupErr) != tc.code {
				t.Fatalf("errors: SDK client %v, lookup %v; want code %q from both", sdkErr, lookupErr, tc.code)
			}
			if st.ClaimConfig != got || got != tc.want {
				t.Fatalf("SDK client read %+v, lookup read %+v; want %+v from both", st.ClaimConfig, got, tc.want)
			}
		})
	}
}

// attachPolicy creates a claims mapping policy with definition and attaches
// it to the service principal.
func attachPolicy(t *testing.T, s *simHarness, spID, definition string) {
	t.Helper()
	status, p := s.call("POST", "/v1.0/policies/claimsMappingPolicies", map[string]any{"displayName": "hand-made", "definition": []string{definition}})
	if status != http.StatusCreated {
		t.Fatalf("create policy: %d %v", status, p)
	}
	id, _ := p["id"].(string)
	ref := map[string]any{"@odata.id": s.url + "/v1.0/policies/claimsMappingPolicies/" + id}
	if status, out := s.call("POST", "/v1.0/servicePrincipals/"+spID+"/claimsMappingPolicies/$ref", ref); status != http.StatusNoContent {
		t.Fatalf("attach policy: %d %v", status, out)
	}
}

// putCustom sets the beta custom claims policy of the service principal.
func putCustom(t *testing.T, s *simHarness, spID string, doc map[string]any) {
	t.Helper()
	if status, out := s.call("PUT", "/beta/servicePrincipals/"+spID+"/claimsPolicy", doc); status/100 != 2 {
		t.Fatalf("put custom claims policy: %d %v", status, out)
	}
}

// TestBothClientsFindTheSameApp finds the pinned Aircall app of one
// simulated tenant through both Graph clients — the SDK client (provision)
// and graphrest (audit, diagnosis) — and wants the same answer: by the
// pinned appId only. A tagged or same-named look-alike is never a fallback.
func TestBothClientsFindTheSameApp(t *testing.T) {
	for _, tc := range []struct {
		name  string
		apps  int
		appID string // "first", or "?" for an appId no app has
		code  domain.Code
	}{
		{name: "the pinned app among look-alikes", apps: 2, appID: "first"},
		{name: "unknown pinned appId: no fallback to the tag or name", apps: 2, appID: "?", code: domain.ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newSim(t)
			c := newClient(t, s)
			var first domain.App
			for i := 0; i < tc.apps; i++ {
				app, err := c.Instantiate(ctx, "Aircall")
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = app
				}
			}
			pin := domain.PinnedApp{AppID: first.AppID, ObjectID: first.ObjectID, ServicePrincipalID: first.ServicePrincipalID}
			if tc.appID == "?" {
				pin.AppID = "00000000-0000-4000-8000-0000000000ff"
			}
			rc, err := graphrest.New(graphrest.Options{BaseURL: s.url, Credential: s.cred, Owner: graphsim.Caller,
				Pin: func(context.Context) (domain.PinnedApp, error) { return pin, nil }})
			if err != nil {
				t.Fatal(err)
			}
			app, sdkErr := c.FindApp(ctx, domain.AppLookup{AppID: pin.AppID})
			sp, restErr := rc.FindAppServicePrincipal(ctx)
			if domain.ErrorCode(sdkErr) != tc.code || domain.ErrorCode(restErr) != tc.code {
				t.Fatalf("errors: SDK client %v, graphrest %v; want code %q from both", sdkErr, restErr, tc.code)
			}
			if app.ServicePrincipalID != sp || (tc.code == "" && sp != first.ServicePrincipalID) {
				t.Fatalf("SDK client found %q, graphrest %q; want %q from both", app.ServicePrincipalID, sp, first.ServicePrincipalID)
			}
		})
	}
}
