package graphsim

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

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
func createClaimsPolicy(c *call) *graphError {
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
	p := c.t.newClaimsPolicy(name, []any{defs[0]})
	out := c.t.policyEntity(c, p)
	c.t.mu.Unlock()
	out["@odata.context"] = c.ctx("policies/claimsMappingPolicies/$entity")
	writeJSON(c.w, 201, out)
	return nil
}

// listClaimsPolicies: GET /policies/claimsMappingPolicies (one page; a
// tenant holds few).
func listClaimsPolicies(c *call) *graphError {
	c.t.mu.Lock()
	var list []*object
	for _, p := range c.t.policies {
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b *object) int { return a.created.Compare(b.created) })
	vals := []any{}
	for _, p := range list {
		vals = append(vals, cloneProps(p.props))
	}
	c.t.mu.Unlock()
	c.t.countPage(0)
	writeJSON(c.w, 200, map[string]any{"@odata.context": c.ctx("policies/claimsMappingPolicies"), "value": vals})
	return nil
}

func getClaimsPolicyObject(c *call) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	p, ok := c.t.policies[strings.ToLower(c.args[0])]
	if !ok {
		return notFound(c.args[0])
	}
	out := cloneProps(p.props)
	out["@odata.context"] = c.ctx("policies/claimsMappingPolicies/$entity")
	writeJSON(c.w, 200, out)
	return nil
}

func deleteClaimsPolicy(c *call) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	id := strings.ToLower(c.args[0])
	if _, ok := c.t.policies[id]; !ok {
		return notFound(c.args[0])
	}
	delete(c.t.policies, id)
	for _, sp := range c.t.sps {
		sp.claims = slices.DeleteFunc(sp.claims, func(x string) bool { return x == id })
	}
	c.w.WriteHeader(204)
	return nil
}

// listSPClaimsPolicies: GET /servicePrincipals/{id}/claimsMappingPolicies.
func listSPClaimsPolicies(c *call) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	sp := c.t.lookup("servicePrincipals", c.args[0], "")
	if sp == nil {
		return notFound(c.args[0])
	}
	vals := []any{}
	for _, id := range sp.claims {
		if p, ok := c.t.policies[id]; ok {
			vals = append(vals, cloneProps(p.props))
		}
	}
	c.t.countPage(0)
	writeJSON(c.w, 200, map[string]any{"@odata.context": c.ctx("Collection(microsoft.graph.claimsMappingPolicy)"), "value": vals})
	return nil
}

// addSPClaimsPolicyRef: POST /servicePrincipals/{id}/claimsMappingPolicies/$ref
// {"@odata.id": ".../policies/claimsMappingPolicies/{pid}"} → 204. A
// service principal holds at most one claims mapping policy.
func addSPClaimsPolicyRef(c *call) *graphError {
	body, e := c.decodeObject()
	if e != nil {
		return e
	}
	ref, _ := body["@odata.id"].(string)
	i := strings.LastIndex(ref, "/")
	if ref == "" || i < 0 {
		return badRequest("Property '@odata.id' is missing or not a URL of a claims mapping policy.")
	}
	pid := strings.ToLower(ref[i+1:])
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	sp := c.t.lookup("servicePrincipals", c.args[0], "")
	if sp == nil {
		return notFound(c.args[0])
	}
	if _, ok := c.t.policies[pid]; !ok {
		return notFound(pid)
	}
	if slices.Contains(sp.claims, pid) {
		return badRequest("One or more added object references already exist for the following modified properties: 'claimsMappingPolicies'.")
	}
	if len(sp.claims) > 0 {
		return errf(409, "Request_BadRequest", "A conflicting object with one or more of the specified property values is present in the directory: a service principal can have only one claims mapping policy.")
	}
	sp.claims = append(sp.claims, pid)
	c.w.WriteHeader(204)
	return nil
}

// removeSPClaimsPolicyRef: DELETE /servicePrincipals/{id}/claimsMappingPolicies/{pid}/$ref → 204.
func removeSPClaimsPolicyRef(c *call) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	sp := c.t.lookup("servicePrincipals", c.args[0], "")
	if sp == nil {
		return notFound(c.args[0])
	}
	pid := strings.ToLower(c.args[1])
	if !slices.Contains(sp.claims, pid) {
		return notFound(c.args[1])
	}
	sp.claims = slices.DeleteFunc(sp.claims, func(x string) bool { return x == pid })
	c.w.WriteHeader(204)
	return nil
}

// getClaimsPolicy: GET /beta/servicePrincipals/{id}/claimsPolicy. Without
// a policy the simulator answers 404 (Microsoft's reply is *unverified*).
func getClaimsPolicy(c *call) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	sp := c.t.lookup("servicePrincipals", c.args[0], "")
	if sp == nil {
		return notFound(c.args[0])
	}
	if sp.claimsPolicy == nil {
		return notFound("claimsPolicy")
	}
	out := cloneProps(sp.claimsPolicy)
	out["@odata.context"] = c.ctx("servicePrincipals('" + sp.str("id") + "')/claimsPolicy/$entity")
	writeJSON(c.w, 200, out)
	return nil
}

// putClaimsPolicy: PUT (create or replace) or PATCH (update) the beta
// custom claims policy → 201 with the object.
func putClaimsPolicy(c *call) *graphError {
	body, e := c.decodeObject()
	if e != nil {
		return e
	}
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	sp := c.t.lookup("servicePrincipals", c.args[0], "")
	if sp == nil {
		return notFound(c.args[0])
	}
	cur := sp.claimsPolicy
	if cur == nil || c.r.Method == "PUT" {
		id := uuid.NewString()
		if cur != nil {
			id, _ = cur["id"].(string)
		}
		cur = map[string]any{"id": id, "includeBasicClaimSet": true, "includeApplicationIdInIssuer": false,
			"audienceOverride": nil, "groupFilter": nil, "claims": []any{}}
	}
	for k, v := range body {
		if strings.HasPrefix(k, "@odata.") || k == "id" {
			continue
		}
		switch k {
		case "includeBasicClaimSet", "includeApplicationIdInIssuer", "audienceOverride", "groupFilter", "claims":
			cur[k] = v
		default:
			return badRequest("The property '%s' does not exist on type 'microsoft.graph.customClaimsPolicy'. Make sure to only use property names that are defined by the type or mark the type as open type.", k)
		}
	}
	sp.claimsPolicy = cur
	out := cloneProps(cur)
	out["@odata.context"] = c.ctx("servicePrincipals('" + sp.str("id") + "')/claimsPolicy/$entity")
	writeJSON(c.w, 201, out)
	return nil
}
