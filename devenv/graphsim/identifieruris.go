package graphsim

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// Microsoft's messages for refused identifier URIs
// (learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions).
const (
	msgUniqueTenantID = "Failed to add identifier URI %s. All newly added URIs must contain a tenant verified domain, tenant ID, or app ID, as per the default tenant policy of your organization. See https://aka.ms/identifier-uri-addition-error for more information on this error."
	msgNonDefaultURI  = "The newly added URI %s must comply with the format 'api://{appId}' or 'api://{tenantId}/{appId}' as per the default app management policy of your organization. See https://aka.ms/identifier-uri-addition-error for more information on this error."
	msgVerifiedDomain = "Values of identifierUris property must use a verified domain of the organization or its subdomain: '%s'"
)

// checkIdentifierURIs applies the format rules, the verified-domain check
// and the tenant's identifier-URI policy to the URIs a PATCH adds.
func (t *Tenant) checkIdentifierURIs(app *object, next, body map[string]any) *graphError {
	raw, ok := propCIok(body, "identifierUris")
	if !ok {
		return nil
	}
	if t.failAppPatch > 0 {
		t.failAppPatch--
		return badRequest("Simulated failure: the application could not be updated; try again.")
	}
	uris := strs(raw)
	old := strs(app.props["identifierUris"])
	appID := app.str("appId")
	for _, u := range uris {
		if len(u) > 255 || strings.HasSuffix(u, "/") || strings.Contains(u, "*") || strings.TrimSpace(u) == "" {
			return badRequest("Invalid value specified for property 'identifierUris' of resource 'Application': '%s'.", u)
		}
		for _, other := range t.apps {
			if other != app && slices.ContainsFunc(strs(other.props["identifierUris"]), func(x string) bool { return strings.EqualFold(x, u) }) {
				return badRequest("Another object with the same value for property identifierUris already exists.")
			}
		}
		if slices.Contains(old, u) {
			continue // URIs already present are exempt
		}
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme == "" {
			return badRequest("Invalid value specified for property 'identifierUris' of resource 'Application': '%s'.", u)
		}
		host := strings.ToLower(pu.Hostname())
		if pu.Scheme == "http" || pu.Scheme == "https" || pu.Scheme == "api" {
			if _, err := uuid.Parse(host); err == nil {
				if host != strings.ToLower(appID) && host != t.id {
					return badRequest(msgVerifiedDomain, u)
				}
			} else if !t.verifiedHost(host) {
				return &graphError{status: 400, code: "HostNameNotOnVerifiedDomain", message: fmt.Sprintf(msgVerifiedDomain, u)}
			}
		}
		switch t.policyMode {
		case PolicyStrict, PolicyCustom:
			if t.policyMode == PolicyStrict && t.exempt(appID, next) {
				continue
			}
			if !strings.EqualFold(u, "api://"+appID) && !strings.EqualFold(u, "api://"+t.id+"/"+appID) {
				return &graphError{status: 400, code: "InvalidIdentifierUriAsPerAppPolicy", message: fmt.Sprintf(msgNonDefaultURI, u)}
			}
		case PolicyDefault:
			lu := strings.ToLower(u)
			unique := strings.Contains(lu, strings.ToLower(appID)) || strings.Contains(lu, t.id) ||
				(host != "" && t.verifiedHost(host))
			if unique || t.exempt(appID, next) {
				continue
			}
			return &graphError{status: 400, code: "InvalidUniqueTenantIdentifierAsPerAppPolicy", message: fmt.Sprintf(msgUniqueTenantID, u)}
		}
	}
	return nil
}

func (t *Tenant) verifiedHost(host string) bool {
	for _, d := range []string{t.gen.domain, t.gen.tenant} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

func propCIok(m map[string]any, p string) (any, bool) {
	for k, v := range m {
		if strings.EqualFold(k, p) {
			return v, true
		}
	}
	return nil, false
}
