package graphsim

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// servicePrincipalRoutes: service principals by object id or appId, their
// token signing certificates and claims policies (v1.0 claims mapping
// policy references, beta custom claims policy).
func servicePrincipalRoutes() []route {
	const api = "learn.microsoft.com/graph/api/"
	const beta = "?view=graph-rest-beta"
	return []route{
		{method: "GET", pattern: "/v1.0/servicePrincipals", handle: listObjects("servicePrincipals"), doc: api + "serviceprincipal-list"},
		{method: "GET", pattern: "/v1.0/servicePrincipals/{id}", handle: getObject("servicePrincipals"), doc: api + "serviceprincipal-get"},
		{method: "PATCH", pattern: "/v1.0/servicePrincipals/{id}", handle: patchObject("servicePrincipals"), doc: api + "serviceprincipal-update"},
		{method: "GET", pattern: "/v1.0/servicePrincipals(appId='{appId}')", handle: getObject("servicePrincipals"), doc: api + "serviceprincipal-get"},
		{method: "PATCH", pattern: "/v1.0/servicePrincipals(appId='{appId}')", handle: patchObject("servicePrincipals"), doc: api + "serviceprincipal-update"},
		{method: "POST", pattern: "/v1.0/servicePrincipals/{id}/addTokenSigningCertificate", handle: addTokenSigningCertificate, doc: api + "serviceprincipal-addtokensigningcertificate"},
		{method: "GET", pattern: "/v1.0/servicePrincipals/{id}/claimsMappingPolicies", handle: listSPClaimsPolicies, doc: api + "serviceprincipal-list-claimsmappingpolicies"},
		{method: "POST", pattern: "/v1.0/servicePrincipals/{id}/claimsMappingPolicies/$ref", handle: addSPClaimsPolicyRef, doc: api + "serviceprincipal-post-claimsmappingpolicies"},
		{method: "DELETE", pattern: "/v1.0/servicePrincipals/{id}/claimsMappingPolicies/{pid}/$ref", handle: removeSPClaimsPolicyRef, doc: api + "serviceprincipal-delete-claimsmappingpolicies"},
		{method: "GET", pattern: "/beta/servicePrincipals/{id}/claimsPolicy", handle: getClaimsPolicy, doc: api + "customclaimspolicy-get" + beta},
		{method: "PUT", pattern: "/beta/servicePrincipals/{id}/claimsPolicy", handle: putClaimsPolicy, doc: api + "serviceprincipal-put-claimspolicy" + beta},
		{method: "PATCH", pattern: "/beta/servicePrincipals/{id}/claimsPolicy", handle: putClaimsPolicy, doc: api + "customclaimspolicy-update" + beta},
	}
}

// PatchServicePrincipal applies a Graph-shaped partial update to the
// service principal with this object id.
func (t *Tenant) PatchServicePrincipal(spID string, patch map[string]any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	sp, ok := t.sps[spID]
	if !ok {
		return fmt.Errorf("graphsim: no service principal %s", spID)
	}
	next := deepCopy(sp.props).(map[string]any)
	if err := mergePatch(next, patch, "microsoft.graph.servicePrincipal"); err != nil {
		return err
	}
	sp.props = next
	return nil
}

// RemoveSigningCertificates deletes every signing certificate of the
// service principal and clears its preferred thumbprint (a drifted app).
func (t *Tenant) RemoveSigningCertificates(spID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	sp, ok := t.sps[spID]
	if !ok {
		return fmt.Errorf("graphsim: no service principal %s", spID)
	}
	sp.certs = nil
	sp.props["preferredTokenSigningKeyThumbprint"] = nil
	return nil
}

// addTokenSigningCertificate: POST /servicePrincipals/{id}/addTokenSigningCertificate
// {"displayName":"CN=…","endDateTime":"…"} → 200 selfSignedCertificate.
// The new certificate is inactive until preferredTokenSigningKeyThumbprint
// names it.
func addTokenSigningCertificate(c *call, p params) *graphError {
	body, e := c.decodeObject()
	if e != nil {
		return e
	}
	name, _ := body["displayName"].(string)
	if name == "" {
		name = "CN=Microsoft Azure Federated SSO Certificate"
	}
	if !strings.HasPrefix(name, "CN=") {
		return badRequest("The displayName must start with 'CN='.")
	}
	end := time.Now().UTC().AddDate(3, 0, 0)
	if s, _ := body["endDateTime"].(string); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return badRequest("Invalid value specified for property 'endDateTime': '%s'.", s)
		}
		if t.Before(time.Now()) || t.After(time.Now().AddDate(3, 0, 1)) {
			return badRequest("The endDateTime must be in the future and at most 3 years from now.")
		}
		end = t.UTC()
	}
	c.t.mu.Lock()
	sp := c.t.lookup("servicePrincipals", p["id"], "")
	c.t.mu.Unlock()
	if sp == nil {
		return notFound(p["id"])
	}
	cert, err := newSigningCert(name, end)
	if err != nil {
		return errf(500, "generalException", "Could not create the certificate: %v", err)
	}
	c.t.mu.Lock()
	sp.certs = append(sp.certs, cert)
	c.t.mu.Unlock()
	writeJSON(c.w, 200, map[string]any{
		"@odata.context": c.ctx("microsoft.graph.selfSignedCertificate"), "customKeyIdentifier": cert.customKeyID(),
		"displayName": name, "endDateTime": cert.end.Format(time.RFC3339), "key": base64.StdEncoding.EncodeToString(cert.der),
		"keyId": cert.verifyKeyID, "startDateTime": stamp7(cert.start), "thumbprint": cert.thumbprint,
		"type": "AsymmetricX509Cert", "usage": "Verify",
	})
	return nil
}

// listSPClaimsPolicies: GET /servicePrincipals/{id}/claimsMappingPolicies.
func listSPClaimsPolicies(c *call, p params) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	sp := c.t.lookup("servicePrincipals", p["id"], "")
	if sp == nil {
		return notFound(p["id"])
	}
	var vals []map[string]any
	for _, id := range sp.claims {
		if pol, ok := c.t.policies[id]; ok {
			vals = append(vals, cloneProps(pol.props))
		}
	}
	c.t.countPage(0)
	c.writePage(listPage{context: c.ctx("Collection(microsoft.graph.claimsMappingPolicy)"), count: -1, items: jsonItems(vals)})
	return nil
}

// addSPClaimsPolicyRef: POST /servicePrincipals/{id}/claimsMappingPolicies/$ref
// {"@odata.id": ".../policies/claimsMappingPolicies/{pid}"} → 204. A
// service principal holds at most one claims mapping policy.
func addSPClaimsPolicyRef(c *call, p params) *graphError {
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
	sp := c.t.lookup("servicePrincipals", p["id"], "")
	if sp == nil {
		return notFound(p["id"])
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
func removeSPClaimsPolicyRef(c *call, p params) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	sp := c.t.lookup("servicePrincipals", p["id"], "")
	if sp == nil {
		return notFound(p["id"])
	}
	pid := strings.ToLower(p["pid"])
	if !slices.Contains(sp.claims, pid) {
		return notFound(p["pid"])
	}
	sp.claims = slices.DeleteFunc(sp.claims, func(x string) bool { return x == pid })
	c.w.WriteHeader(204)
	return nil
}

// getClaimsPolicy: GET /beta/servicePrincipals/{id}/claimsPolicy. Without
// a policy the simulator answers 404 (Microsoft's reply is *unverified*).
func getClaimsPolicy(c *call, p params) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	sp := c.t.lookup("servicePrincipals", p["id"], "")
	if sp == nil {
		return notFound(p["id"])
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
func putClaimsPolicy(c *call, p params) *graphError {
	body, e := c.decodeObject()
	if e != nil {
		return e
	}
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	sp := c.t.lookup("servicePrincipals", p["id"], "")
	if sp == nil {
		return notFound(p["id"])
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

// checkSPPatch validates preferredSingleSignOnMode and
// preferredTokenSigningKeyThumbprint.
func checkSPPatch(sp *object, body map[string]any) *graphError {
	for k, v := range body {
		switch strings.ToLower(k) {
		case "preferredsinglesignonmode":
			s, _ := v.(string)
			if v != nil && !slices.Contains(ssoModes(), s) {
				return badRequest("Invalid value specified for property 'preferredSingleSignOnMode' of resource 'ServicePrincipal'.")
			}
		case "preferredtokensigningkeythumbprint":
			s, _ := v.(string)
			if v == nil {
				continue
			}
			found := false
			for _, c := range sp.certs {
				if strings.EqualFold(c.thumbprint, s) {
					found = true
				}
			}
			if !found {
				return badRequest("Invalid value specified for property 'preferredTokenSigningKeyThumbprint' of resource 'ServicePrincipal': no signing certificate has the thumbprint '%s'.", s)
			}
		}
	}
	return nil
}
