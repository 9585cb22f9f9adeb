package graph

import (
	"context"
	"net/url"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/policies"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/claimsdoc"
)

// Claims: provision uses a v1.0 claims mapping policy (see docs/provision.md
// for why and what it means for the portal's Attributes & Claims blade). The
// read side also understands the beta custom claims policy the portal edits,
// so the state in effect is reported whichever configured it.

// EmailClaim implements domain.AppDirectory with the rule both Graph
// adapters share (claimsdoc.Resolve): an attached claims mapping policy that
// sources the claim wins; else the beta custom claims policy; else Entra's
// default (user.mail).
func (c *Client) EmailClaim(ctx context.Context, spID string) (domain.EmailClaimState, error) {
	attached, err := c.sps().ByServicePrincipalId(spID).ClaimsMappingPolicies().Get(ctx, nil)
	if err != nil {
		return domain.EmailClaimState{}, mapError(err, "list the claims mapping policies of service principal "+spID, "Policy.Read.All and "+permRead)
	}
	var policies []claimsdoc.MappingPolicy
	for _, p := range attached.GetValue() {
		policies = append(policies, claimsdoc.MappingPolicy{ID: deref(p.GetId()), Name: deref(p.GetDisplayName()), Definition: p.GetDefinition()})
	}
	return claimsdoc.Resolve(policies, func() ([]byte, error) { return c.customClaimsPolicy(ctx, spID) })
}

// customClaimsPolicy reads GET /beta/servicePrincipals/{id}/claimsPolicy
// (not in the v1.0 SDK: sent raw through the same adapter, so it gets the
// same token and retries) as it came; Graph's 404 is ENOTFOUND.
func (c *Client) customClaimsPolicy(ctx context.Context, spID string) ([]byte, error) {
	u, err := url.Parse(c.root + "/beta/servicePrincipals/" + url.PathEscape(spID) + "/claimsPolicy")
	if err != nil {
		return nil, domain.Wrap(domain.EINTERNAL, err, "graph: claimsPolicy URL")
	}
	ri := abs.NewRequestInformation()
	ri.Method = abs.GET
	ri.SetUri(*u)
	ri.Headers.TryAdd("Accept", "application/json")
	raw, err := c.adapter.SendPrimitive(ctx, ri, "[]byte", errorMapping)
	if err != nil {
		return nil, mapError(err, "read the custom claims policy of service principal "+spID, "Policy.Read.All")
	}
	b, _ := raw.([]byte)
	return b, nil
}

// SetEmailClaim implements domain.AppDirectory: reuse the attached policy,
// or the one with knownPolicyID, when it is named name with the right
// definition, else create one; detach any other policy from the service
// principal, attach ours. Each call is safe to repeat.
func (c *Client) SetEmailClaim(ctx context.Context, spID string, src domain.ClaimSource, name, knownPolicyID string) (domain.EmailClaimState, error) {
	want := domain.EmailClaimState{ClaimConfig: domain.ClaimConfig{Source: src, Origin: domain.ClaimOriginMappingPolicy}, PolicyName: name}
	attached, err := c.sps().ByServicePrincipalId(spID).ClaimsMappingPolicies().Get(ctx, nil)
	if err != nil {
		return want, mapError(err, "list the claims mapping policies of service principal "+spID, "Policy.Read.All and "+permRead)
	}
	for _, p := range attached.GetValue() {
		if deref(p.GetDisplayName()) == name && claimsdoc.MappingSource(p.GetDefinition()) == src {
			want.PolicyID = deref(p.GetId())
			if len(attached.GetValue()) == 1 {
				return want, nil
			}
		}
	}
	if want.PolicyID == "" {
		id, err := c.ensurePolicy(ctx, src, name, knownPolicyID)
		if err != nil {
			return want, err
		}
		want.PolicyID = id
	}
	for _, p := range attached.GetValue() {
		if id := deref(p.GetId()); id != want.PolicyID {
			err := c.sps().ByServicePrincipalId(spID).ClaimsMappingPolicies().ByClaimsMappingPolicyId(id).Ref().Delete(ctx, nil)
			if err != nil && !domain.IsCode(mapError(err, "", ""), domain.ENOTFOUND) {
				return want, mapError(err, "detach claims mapping policy "+id+" ("+deref(p.GetDisplayName())+") from service principal "+spID, permWrite+" and Policy.Read.All")
			}
			c.log.Info("detached a claims mapping policy", "servicePrincipalId", spID, "policyId", id)
		}
	}
	for _, p := range attached.GetValue() {
		if deref(p.GetId()) == want.PolicyID {
			return want, nil
		}
	}
	ref := models.NewReferenceCreate()
	ref.SetOdataId(ptr(c.base + "/policies/claimsMappingPolicies/" + want.PolicyID))
	if err := c.sps().ByServicePrincipalId(spID).ClaimsMappingPolicies().Ref().Post(ctx, ref, nil); err != nil {
		return want, mapError(err, "attach claims mapping policy "+want.PolicyID+" to service principal "+spID, permWrite+" and Policy.Read.All")
	}
	c.log.Info("attached the claims mapping policy", "servicePrincipalId", spID, "policyId", want.PolicyID, "source", string(src))
	return want, nil
}

// ensurePolicy returns the id of our claims mapping policy for src: the one
// with knownPolicyID (recorded in the pin when provision created it) when
// it still exists with that name and definition, else a new one. It never
// lists the tenant's policies: GET /policies/claimsMappingPolicies has a
// documented permissions issue ("may require consent to both permissions",
// learn.microsoft.com/graph/api/claimsmappingpolicy-list) and answers 403 in
// tenants that hold other policies unless Policy.ReadWrite.ConditionalAccess
// is granted as well — a permission this tool must not need.
func (c *Client) ensurePolicy(ctx context.Context, src domain.ClaimSource, name, knownPolicyID string) (string, error) {
	b := policies.NewPoliciesRequestBuilderInternal(c.params(), c.adapter).ClaimsMappingPolicies()
	if domain.IsGUID(knownPolicyID) {
		p, err := b.ByClaimsMappingPolicyId(knownPolicyID).Get(ctx, nil)
		switch {
		case err == nil && deref(p.GetDisplayName()) == name && claimsdoc.MappingSource(p.GetDefinition()) == src:
			return knownPolicyID, nil
		case err != nil && !domain.IsCode(mapError(err, "", ""), domain.ENOTFOUND):
			return "", mapError(err, "read claims mapping policy "+knownPolicyID, "Policy.Read.All")
		}
	}
	p := models.NewClaimsMappingPolicy()
	p.SetDisplayName(&name)
	p.SetDefinition([]string{claimsdoc.MappingDefinition(src)})
	p.SetIsOrganizationDefault(ptr(false))
	created, err := b.Post(ctx, p, nil)
	if err != nil {
		return "", mapError(err, "create the claims mapping policy "+name, permPolicy)
	}
	c.log.Info("created a claims mapping policy", "policyId", deref(created.GetId()), "name", name)
	return deref(created.GetId()), nil
}
