package graphsim

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The simulator's documented rules, one table row each with the Microsoft
// Learn page it follows (docs/architecture.md, "Local stand-ins": the
// simulators follow Microsoft's documentation, not our code). Where two
// pages disagree the simulator accepts both.
//
// Three tables:
//   - costRules: how a read's resource-unit cost is adjusted from the route
//     row's base cost (Microsoft Graph service-specific throttling limits,
//     "Identity and access service limits");
//   - queryRules: query options Graph refuses on directory objects, checked
//     on every Graph GET before its handler runs;
//   - uriExemptions and ssoModes: what PATCH accepts, used by the
//     application and service principal handlers.

// throttlingDoc is the page of the resource-unit table.
const throttlingDoc = "learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits"

// advancedDoc is the advanced query capabilities page.
const advancedDoc = "learn.microsoft.com/graph/aad-advanced-queries"

// costRule is one of the "other factors that impact a request cost".
type costRule struct {
	name string
	// delta is what the rule adds to a read's cost for request r.
	delta func(r *http.Request) int
	doc   string
}

// costRules: a read costs its route row's base (the table's "Base
// resource unit cost": GET applications 2, users 2, users/{id}/memberOf 2
// — the note extends me/ paths to users/{id}/ —, groups/{id}/members 3,
// any path not listed 1), adjusted by these rows and never below 1. Every
// write (POST, PATCH, PUT, DELETE on a path not listed) costs 1.
func costRules() []costRule {
	return []costRule{
		{name: "$select decreases cost by 1", delta: func(r *http.Request) int { return -one(queryOpt(r, "select") != "") }, doc: throttlingDoc},
		{name: "$expand increases cost by 1", delta: func(r *http.Request) int { return one(queryOpt(r, "expand") != "") }, doc: throttlingDoc},
		{name: "$top with a value of less than 20 decreases cost by 1", delta: func(r *http.Request) int {
			n, err := strconv.Atoi(queryOpt(r, "top"))
			return -one(err == nil && n < 20)
		}, doc: throttlingDoc},
	}
}

// readCost is the cost of a read with base cost base.
func readCost(base int, r *http.Request) int {
	c := max(base, 1)
	for _, cr := range costRules() {
		c += cr.delta(r)
	}
	return max(c, 1) // "A request cost can never be lower than 1."
}

func one(b bool) int {
	if b {
		return 1
	}
	return 0
}

// queryOpt is an OData system query option with or without its "$".
func queryOpt(r *http.Request, k string) string {
	q := r.URL.Query()
	if v := q.Get("$" + k); v != "" {
		return v
	}
	return q.Get(k)
}

// advancedReq reports whether r carries the advanced query parameters
// (ConsistencyLevel: eventual and $count=true).
func advancedReq(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("ConsistencyLevel"), "eventual") && strings.EqualFold(queryOpt(r, "count"), "true")
}

// queryRule refuses a query shape Graph refuses on directory objects.
type queryRule struct {
	name  string
	check func(r *http.Request) *graphError
	doc   string
}

// queryRules apply to every Graph GET (every resource the simulator serves
// is a directory object or a directory object's relationship).
func queryRules() []queryRule {
	return append([]queryRule{
		{name: "$filter and $orderby together only in advanced queries", check: func(r *http.Request) *graphError {
			if queryOpt(r, "filter") != "" && queryOpt(r, "orderby") != "" && !advancedReq(r) {
				return unsupportedQuery("Sorting not supported for current query. Using $filter and $orderby in the same query requires the advanced query parameters ($count=true and ConsistencyLevel: eventual).")
			}
			return nil
		}, doc: advancedDoc + "#query-scenarios-that-require-advanced-query-capabilities"},
		{name: "$expand is not supported with advanced queries", check: func(r *http.Request) *graphError {
			if queryOpt(r, "expand") != "" && advancedReq(r) {
				return unsupportedQuery("$expand is not currently supported with advanced queries (ConsistencyLevel: eventual and $count=true).")
			}
			return nil
		}, doc: advancedDoc + "#query-scenarios-that-require-advanced-query-capabilities"},
	}, limitRules()...)
}

// checkQueryRules runs queryRules on a Graph GET.
func checkQueryRules(r *http.Request, rt *route) *graphError {
	if rt.method != http.MethodGet || rt.handle == nil {
		return nil
	}
	for _, qr := range queryRules() {
		if e := qr.check(r); e != nil {
			return e
		}
	}
	return nil
}

// userOrderBy is the users $orderby table of the advanced query page
// ("Support for sorting by properties of directory objects"): true = by
// default, false = advanced queries only. displayName is served sorted
// (orderby.go); the date properties in userPrincipalName order (the
// simulator keeps no creation dates).
func userOrderBy() map[string]bool {
	return map[string]bool{"userprincipalname": true, "displayname": true, "createddatetime": false, "deleteddatetime": false}
}

// checkUserOrderBy refuses a users $orderby the table does not allow.
func checkUserOrderBy(r *http.Request) *graphError {
	ob := strings.TrimSpace(queryOpt(r, "orderby"))
	if ob == "" {
		return nil
	}
	prop := strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(ob, " asc"), " desc"))
	byDefault, ok := userOrderBy()[strings.TrimSpace(prop)]
	if !ok || (!byDefault && !advancedReq(r)) || strings.Contains(ob, ",") {
		return unsupportedQuery("Sorting not supported for current query.")
	}
	return nil
}

// uriExemption is an app the identifier-URI restrictions do not apply to
// (identifierUriRestriction's excludeSaml and excludeAppsReceivingV2Tokens,
// which the default policy sets for both nonDefaultUriAddition and
// uriAdditionWithoutUniqueTenantIdentifier).
type uriExemption struct {
	name    string
	applies func(t *Tenant, appID string, next map[string]any) bool
	doc     string
}

func uriExemptions() []uriExemption {
	return []uriExemption{
		{name: "SAML applications (excludeSaml)", applies: func(t *Tenant, appID string, _ map[string]any) bool {
			sp := t.spByAppID(appID)
			return sp != nil && sp.str("preferredSingleSignOnMode") == "saml"
		}, doc: "learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions; learn.microsoft.com/graph/api/resources/identifierurirestriction"},
		{name: "apps receiving v2 tokens (excludeAppsReceivingV2Tokens)", applies: func(_ *Tenant, _ string, next map[string]any) bool {
			api, _ := next["api"].(map[string]any)
			switch v := api["requestedAccessTokenVersion"].(type) {
			case int64:
				return v == 2
			case float64:
				return v == 2
			}
			return false
		}, doc: "learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions; learn.microsoft.com/graph/api/resources/identifierurirestriction"},
	}
}

// exempt reports whether an app is exempt from the identifier-URI
// restrictions; the caller holds t.mu.
func (t *Tenant) exempt(appID string, next map[string]any) bool {
	return slices.ContainsFunc(uriExemptions(), func(x uriExemption) bool { return x.applies(t, appID, next) })
}

// ssoModes are the preferredSingleSignOnMode values PATCH accepts: the
// servicePrincipal reference lists password, saml, notSupported and oidc
// (learn.microsoft.com/graph/api/resources/serviceprincipal); Entra reads
// back "external" for linked sign-on apps
// (learn.microsoft.com/entra/identity/enterprise-apps/configure-linked-sign-on),
// so the pages disagree and both are accepted.
func ssoModes() []string { return []string{"password", "saml", "notSupported", "oidc", "external"} }

// maxDeltaIDs is how many "id eq" terms users/delta's $filter takes
// (learn.microsoft.com/graph/delta-query-overview, "Optional query
// parameters": $filter with id eq and or only, up to 50 expressions).
const maxDeltaIDs = 50

// deltaFilterIDs parses users/delta's $filter: only "id eq '…'" terms
// joined by "or", at most maxDeltaIDs.
func deltaFilterIDs(s string) ([]string, *graphError) {
	n, err := parseFilter(s)
	if err != nil {
		return nil, badRequest("Invalid filter clause: %s", err.Error())
	}
	var ids []string
	var walk func(n *node) bool
	walk = func(n *node) bool {
		switch {
		case n.op == "or":
			return walk(n.left) && walk(n.right)
		case n.op == "eq" && strings.EqualFold(n.prop, "id") && n.val.kind == "string":
			ids = append(ids, strings.ToLower(n.val.s))
			return true
		}
		return false
	}
	if !walk(n) {
		return nil, unsupportedQuery("Unsupported query option '$filter' on a delta request: only 'id eq' expressions joined by 'or' are supported.")
	}
	if len(ids) > maxDeltaIDs {
		return nil, unsupportedQuery("Too many 'id eq' expressions in '$filter' on a delta request: %d, at most %d.", len(ids), maxDeltaIDs)
	}
	return ids, nil
}
