package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/claimsdoc"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
)

// TestEmailClaimInATenantWithOtherPolicies: the tenant already holds claims
// mapping policies, so listing them answers 403 (the documented
// permissions issue of GET /policies/claimsMappingPolicies). Provision
// never lists them: it creates its policy, records its id in the pin, and a
// later run finds it again by that id. Before, provision listed the tenant's
// policies and failed with 403 here.
func TestEmailClaimInATenantWithOtherPolicies(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	if status, _ := s.call("POST", "/v1.0/policies/claimsMappingPolicies", map[string]any{
		"displayName": "someone else's policy", "definition": []string{claimsdoc.MappingDefinition(domain.ClaimFromMail)},
	}); status != 201 {
		t.Fatalf("create another policy: %d", status)
	}
	if status, out := s.call("GET", "/v1.0/policies/claimsMappingPolicies", nil); status != 403 {
		t.Fatalf("listing the tenant's policies: %d %v, want 403 as documented", status, out)
	}
	job := newSimJob(t, s)
	res, err := job.Apply(ctx, provision.Request{})
	if err != nil {
		t.Fatalf("provision in a tenant with other policies: %v", err)
	}
	if !strings.Contains(stepKinds(res.Steps), "email-claim") {
		t.Fatalf("steps %s", stepKinds(res.Steps))
	}
	pin, _, err := job.Pins.LoadPin(ctx)
	if err != nil || pin.ClaimsPolicyID == "" {
		t.Fatalf("pin %+v, %v: want the policy id recorded", pin, err)
	}
	// Someone detaches our policy in the portal; the next run reattaches the
	// same policy, found by the id in the pin.
	if status, _ := s.call("DELETE", "/v1.0/servicePrincipals/"+res.App.ServicePrincipalID+"/claimsMappingPolicies/"+pin.ClaimsPolicyID+"/$ref", nil); status != 204 {
		t.Fatalf("detach: %d", status)
	}
	if _, err := job.Apply(ctx, provision.Request{}); err != nil {
		t.Fatal(err)
	}
	st, err := job.Directory.EmailClaim(ctx, res.App.ServicePrincipalID)
	if err != nil || st.PolicyID != pin.ClaimsPolicyID || st.Source != domain.ClaimFromUPN {
		t.Fatalf("claim after the rerun: %+v, %v; want policy %s reused", st, err, pin.ClaimsPolicyID)
	}
}
