package graphsim

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// policyRoutes: claims mapping policies and the tenant's default app
// management policy.
func policyRoutes() []route {
	const api = "learn.microsoft.com/graph/api/"
	return []route{
		{method: "GET", pattern: "/v1.0/policies/claimsMappingPolicies", handle: listClaimsPolicies, doc: api + "claimsmappingpolicy-list"},
		{method: "POST", pattern: "/v1.0/policies/claimsMappingPolicies", handle: createClaimsPolicy, doc: api + "claimsmappingpolicy-post-claimsmappingpolicies"},
		{method: "GET", pattern: "/v1.0/policies/claimsMappingPolicies/{id}", handle: getClaimsPolicyObject, doc: api + "claimsmappingpolicy-get"},
		{method: "DELETE", pattern: "/v1.0/policies/claimsMappingPolicies/{id}", handle: deleteClaimsPolicy, doc: api + "claimsmappingpolicy-delete"},
		{method: "GET", pattern: "/v1.0/policies/defaultAppManagementPolicy", handle: getAppManagementPolicy, doc: api + "tenantappmanagementpolicy-get"},
	}
}

// newClaimsPolicy stores a claims mapping policy; callers hold t.mu.
func (t *Tenant) newClaimsPolicy(name string, definition []any) *object {
	id := uuid.NewString()
	p := &object{created: time.Now(), props: map[string]any{
		"id": id, "deletedDateTime": nil, "definition": definition, "displayName": name, "isOrganizationDefault": false,
	}}
	t.policies[id] = p
	return p
}

// validDefinition checks a ClaimsMappingPolicy definition the way Entra
// does: JSON, keys case-sensitive, Version 1.
func validDefinition(defs []string) *graphError {
	if len(defs) != 1 {
		return badRequest("Property 'definition' must hold exactly one policy definition.")
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(defs[0]), &d); err != nil {
		return badRequest("Property definition has an invalid value.")
	}
	cmp, ok := d["ClaimsMappingPolicy"].(map[string]any)
	if !ok {
		return badRequest("Property definition has an invalid value.")
	}
	if v, ok := cmp["Version"].(float64); !ok || v != 1 {
		return badRequest("Property definition has an invalid value.")
	}
	return nil
}

func (t *Tenant) policyEntity(c *call, p *object) map[string]any {
	out := cloneProps(p.props)
	out["@odata.id"] = "https://graph.microsoft.com/v2/" + t.id + "/directoryObjects/" + p.str("id") + "/Microsoft.DirectoryServices.ClaimsMappingPolicy"
	return out
}

// createClaimsPolicy: POST /policies/claimsMappingPolicies → 201.
func createClaimsPolicy(c *call, _ params) *graphError {
	body, e := c.decodeObject()
	if e != nil {
		return e
	}
	defs := strs(body["definition"])
	if e := validDefinition(defs); e != nil {
		return e
	}
	name, _ := body["displayName"].(string)
	if name == "" {
		return badRequest("Required property 'displayName' is missing or empty.")
	}
	c.t.mu.Lock()
	out := c.t.policyEntity(c, c.t.newClaimsPolicy(name, []any{defs[0]}))
	c.t.mu.Unlock()
	out["@odata.context"] = c.ctx("policies/claimsMappingPolicies/$entity")
	writeJSON(c.w, 201, out)
	return nil
}

// listClaimsPolicies: GET /policies/claimsMappingPolicies (one page; a
// tenant holds few). The method "has a known permissions issue and may
// require consent to both permissions" (learn.microsoft.com/graph/api/claimsmappingpolicy-list):
// it answers 403 unless the token holds Policy.Read.All and
// Policy.ReadWrite.ConditionalAccess.
func listClaimsPolicies(c *call, _ params) *graphError {
	if _, roles := callerClaims(c.r); !slices.Contains(roles, "Policy.Read.All") || !slices.Contains(roles, "Policy.ReadWrite.ConditionalAccess") {
		return errf(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	}
	c.t.mu.Lock()
	list := slices.SortedFunc(maps.Values(c.t.policies), func(a, b *object) int { return a.created.Compare(b.created) })
	var vals []map[string]any
	for _, p := range list {
		vals = append(vals, cloneProps(p.props))
	}
	c.t.mu.Unlock()
	c.t.countPage(0)
	c.writePage(listPage{context: c.ctx("policies/claimsMappingPolicies"), count: -1, items: jsonItems(vals)})
	return nil
}

func getClaimsPolicyObject(c *call, p params) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	pol, ok := c.t.policies[strings.ToLower(p["id"])]
	if !ok {
		return notFound(p["id"])
	}
	out := cloneProps(pol.props)
	out["@odata.context"] = c.ctx("policies/claimsMappingPolicies/$entity")
	writeJSON(c.w, 200, out)
	return nil
}

func deleteClaimsPolicy(c *call, p params) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	id := strings.ToLower(p["id"])
	if _, ok := c.t.policies[id]; !ok {
		return notFound(p["id"])
	}
	delete(c.t.policies, id)
	for _, sp := range c.t.sps {
		sp.claims = slices.DeleteFunc(sp.claims, func(x string) bool { return x == id })
	}
	c.w.WriteHeader(204)
	return nil
}

// getAppManagementPolicy: GET /policies/defaultAppManagementPolicy,
// reflecting the policy mode.
func getAppManagementPolicy(c *call, _ params) *graphError {
	c.t.mu.Lock()
	mode := c.t.policyMode
	c.t.mu.Unlock()
	state := func(on bool) string {
		if on {
			return "enabled"
		}
		return "disabled"
	}
	writeJSON(c.w, 200, map[string]any{
		"@odata.context": c.ctx("policies/defaultAppManagementPolicy/$entity"),
		"id":             "00000000-0000-0000-0000-000000000000",
		"displayName":    "Default app management tenant policy",
		"description":    "Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
		"isEnabled":      mode != PolicyOff,
		"applicationRestrictions": map[string]any{
			"passwordCredentials": []any{}, "keyCredentials": []any{},
			"identifierUris": map[string]any{
				"nonDefaultUriAddition": map[string]any{"state": state(mode == PolicyStrict || mode == PolicyCustom), "restrictForAppsCreatedAfterDateTime": nil,
					"excludeAppsReceivingV2Tokens": mode != PolicyCustom, "excludeSaml": mode != PolicyCustom},
				"uriAdditionWithoutUniqueTenantIdentifier": map[string]any{"state": state(mode == PolicyDefault), "restrictForAppsCreatedAfterDateTime": nil,
					"excludeAppsReceivingV2Tokens": true, "excludeSaml": true},
			},
		},
		"servicePrincipalRestrictions": map[string]any{"passwordCredentials": []any{}, "keyCredentials": []any{}},
	})
	return nil
}
