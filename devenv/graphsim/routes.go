package graphsim

import (
	"net/http"
	"strings"
)

// simAppID is the client application id the simulator's tokens are issued
// to (it appears in x-ms-throttle-scope).
const simAppID = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"

type routeMatch struct {
	name   string // "GET /v1.0/users/{id}"
	handle func(*call) *graphError
	args   []string
	write  bool
	// ru is the base resource-unit cost; selectDiscount lowers it by one
	// with $select (identity service cost table, notes §Reading users).
	ru             int
	selectDiscount bool
}

func (m routeMatch) cost(r *http.Request) int {
	c := m.ru
	if c == 0 {
		c = 1
	}
	if m.selectDiscount && (r.URL.Query().Get("$select") != "" || r.URL.Query().Get("select") != "") {
		c--
	}
	return c
}

func (m routeMatch) kind() string {
	if m.write {
		return "Write"
	}
	return "Read"
}

// alternateKey splits "servicePrincipals(appId='x')" into
// ("servicePrincipals", "x", true).
func alternateKey(seg string) (string, string, bool) {
	i := strings.Index(seg, "(")
	if i < 0 || !strings.HasSuffix(seg, ")") {
		return seg, "", false
	}
	inner := seg[i+1 : len(seg)-1]
	k, v, ok := strings.Cut(inner, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(k), "appId") {
		return seg, "", false
	}
	v = strings.Trim(strings.TrimSpace(v), "'")
	return seg[:i], v, true
}

// route maps a request to its handler.
func route(method, version, rest string) routeMatch {
	segs := strings.Split(strings.TrimRight(rest, "/"), "/")
	m := routeMatch{}
	name := func(tmpl string) string { return method + " /" + version + "/" + tmpl }
	if version == "beta" {
		if len(segs) == 3 && segs[0] == "servicePrincipals" && segs[2] == "claimsPolicy" {
			m.args = []string{segs[1]}
			m.name = name("servicePrincipals/{id}/claimsPolicy")
			switch method {
			case http.MethodGet:
				m.handle = getClaimsPolicy
			case http.MethodPut, http.MethodPatch:
				m.handle, m.write = putClaimsPolicy, true
			}
			return m
		}
		m.name = name(rest)
		return m
	}
	head, altKey, isAlt := alternateKey(segs[0])
	switch {
	case head == "applicationTemplates" && len(segs) == 3 && segs[2] == "instantiate" && method == http.MethodPost:
		m.name, m.args, m.handle, m.write = name("applicationTemplates/{id}/instantiate"), []string{segs[1]}, instantiateTemplate, true
	case (head == "applications" || head == "servicePrincipals") && len(segs) == 1 && !isAlt && method == http.MethodGet:
		m.name, m.args, m.handle = name(head), []string{head}, listObjects
	case (head == "applications" || head == "servicePrincipals") && (len(segs) == 2 && !isAlt || len(segs) == 1 && isAlt):
		kind := head
		if isAlt {
			m.name, m.args = name(head+"(appId=)"), []string{kind, "", altKey}
		} else {
			m.name, m.args = name(head+"/{id}"), []string{kind, segs[1], ""}
		}
		switch method {
		case http.MethodGet:
			m.handle = getObject
		case http.MethodPatch:
			m.handle, m.write = patchObject, true
		}
	case head == "servicePrincipals" && len(segs) >= 3 && !isAlt:
		m.args = []string{segs[1]}
		sub := strings.Join(segs[2:], "/")
		switch {
		case sub == "addTokenSigningCertificate" && method == http.MethodPost:
			m.name, m.handle, m.write = name("servicePrincipals/{id}/addTokenSigningCertificate"), addTokenSigningCertificate, true
		case sub == "claimsMappingPolicies" && method == http.MethodGet:
			m.name, m.handle = name("servicePrincipals/{id}/claimsMappingPolicies"), listSPClaimsPolicies
		case sub == "claimsMappingPolicies/$ref" && method == http.MethodPost:
			m.name, m.handle, m.write = name("servicePrincipals/{id}/claimsMappingPolicies/$ref"), addSPClaimsPolicyRef, true
		case len(segs) == 5 && segs[2] == "claimsMappingPolicies" && segs[4] == "$ref" && method == http.MethodDelete:
			m.name, m.handle, m.write = name("servicePrincipals/{id}/claimsMappingPolicies/{pid}/$ref"), removeSPClaimsPolicyRef, true
			m.args = append(m.args, segs[3])
		case sub == "appRoleAssignedTo" && method == http.MethodGet:
			m.name, m.handle = name("servicePrincipals/{id}/appRoleAssignedTo"), listAssignments
		case sub == "appRoleAssignedTo" && method == http.MethodPost:
			m.name, m.handle, m.write = name("servicePrincipals/{id}/appRoleAssignedTo"), postAssignment, true
		default:
			m.name = name("servicePrincipals/{id}/" + sub)
		}
	case head == "policies" && len(segs) == 2 && segs[1] == "defaultAppManagementPolicy" && method == http.MethodGet:
		m.name, m.handle = name("policies/defaultAppManagementPolicy"), getAppManagementPolicy
	case head == "policies" && len(segs) == 2 && segs[1] == "claimsMappingPolicies":
		m.name = name("policies/claimsMappingPolicies")
		switch method {
		case http.MethodGet:
			m.handle = listClaimsPolicies
		case http.MethodPost:
			m.handle, m.write = createClaimsPolicy, true
		}
	case head == "policies" && len(segs) == 3 && segs[1] == "claimsMappingPolicies":
		m.name, m.args = name("policies/claimsMappingPolicies/{id}"), []string{segs[2]}
		switch method {
		case http.MethodGet:
			m.handle = getClaimsPolicyObject
		case http.MethodDelete:
			m.handle, m.write = deleteClaimsPolicy, true
		}
	case head == "users" && len(segs) == 1 && method == http.MethodGet:
		m.name, m.handle, m.ru, m.selectDiscount = name("users"), listUsers, 2, true
	case head == "users" && len(segs) == 2 && segs[1] == "delta" && method == http.MethodGet:
		m.name, m.handle, m.ru, m.selectDiscount = name("users/delta"), usersDelta, 2, true
	case head == "users" && len(segs) == 2 && method == http.MethodGet:
		m.name, m.args, m.handle = name("users/{id}"), []string{segs[1]}, getUser
	case head == "users" && len(segs) == 3 && segs[2] == "memberOf" && method == http.MethodGet:
		m.name, m.args, m.handle = name("users/{id}/memberOf"), []string{segs[1]}, listMemberOf
	case head == "groups" && len(segs) == 2 && method == http.MethodGet:
		m.name, m.args, m.handle = name("groups/{id}"), []string{segs[1]}, getGroup
	case head == "groups" && len(segs) == 3 && segs[2] == "members" && method == http.MethodGet:
		m.name, m.args, m.handle, m.ru = name("groups/{id}/members"), []string{segs[1]}, listMembers, 3
	default:
		m.name = name(rest)
	}
	if m.write {
		m.ru = 1
	}
	return m
}
