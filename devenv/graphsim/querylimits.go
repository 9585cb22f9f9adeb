package graphsim

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// Graph's documented limits on query options over directory objects, from
// learn.microsoft.com/graph/known-issues ("Some limitations apply to query
// parameters") and learn.microsoft.com/graph/aad-advanced-queries:
//   - "When filtering using the eq operator, the maximum limit of the value
//     to match is 120 characters … When using advanced queries, the limit is
//     applied on the URL length at 2,048 characters instead of the matched
//     value." The answer's wording is *unverified*: the simulator answers
//     400 Request_UnsupportedQuery naming the property, as Graph answers an
//     over-long displayName (microsoftgraph/msgraph-sdk-dotnet issue 159).
//   - "$expand on relationships of directory objects: … No support for
//     nesting other query parameters such as $filter and $select inside an
//     $expand query."
//   - "$expand is not currently supported with advanced queries."
//   - "When using the in operator, the request is limited to 15 expressions
//     in the filter clause by default OR a URL length of 2,048 characters
//     when using advanced query capabilities."
const (
	eqMaxChars     = 120
	advancedMaxURL = 2048
	inMaxValues    = 15
)

// checkEqLimits refuses eq (and in) values longer than eqMaxChars and in
// lists longer than inMaxValues in a default query, and an advanced query
// whose URL is longer than advancedMaxURL.
func checkEqLimits(r *http.Request, f *node, adv bool, resource string) *graphError {
	if adv {
		if n := len("https://graph.microsoft.com") + len(r.URL.RequestURI()); n > advancedMaxURL {
			return unsupportedQuery("The request URL is %d characters long; advanced queries accept at most %d.", n, advancedMaxURL)
		}
		return nil
	}
	if f == nil {
		return nil
	}
	var bad *node
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil || bad != nil {
			return
		}
		walk(n.left)
		walk(n.right)
		if n.op == "in" && len(n.vals) > inMaxValues {
			bad = n
			return
		}
		vals := n.vals
		if n.op == "eq" {
			vals = []value{n.val}
		}
		for _, v := range vals {
			if v.kind == "string" && utf8.RuneCountInString(v.s) > eqMaxChars {
				bad = n
			}
		}
	}
	walk(f)
	if bad != nil {
		return unsupportedQuery("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", bad.prop, resource)
	}
	return nil
}

// checkExpandLimits refuses nested query options inside $expand and
// $expand in an advanced query.
func checkExpandLimits(q *query, adv bool) *graphError {
	x := strings.TrimSpace(q.get("expand"))
	if x == "" {
		return nil
	}
	if strings.Contains(x, "(") {
		return badRequest("Parsing OData Select and Expand failed: nested query options such as $select or $filter inside $expand are not supported on directory objects.")
	}
	if adv {
		return unsupportedQuery("$expand is not supported with advanced queries (ConsistencyLevel: eventual).")
	}
	return nil
}
