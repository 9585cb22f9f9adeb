package graphsim

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// knownIssuesDoc is the page of Graph's documented query-parameter limits.
const knownIssuesDoc = "learn.microsoft.com/graph/known-issues#some-limitations-apply-to-query-parameters"

// Graph's documented limits on query options over directory objects
// (knownIssuesDoc, "Some limitations apply to query parameters"):
//   - "When filtering using the eq operator, the maximum limit of the value
//     to match is 120 characters … When using advanced queries, the limit is
//     applied on the URL length at 2,048 characters instead of the matched
//     value."
//   - "When using the in operator, the request is limited to 15 expressions
//     in the filter clause by default OR a URL length of 2,048 characters
//     when using advanced query capabilities."
//   - "$expand on relationships of directory objects: … No support for
//     nesting other query parameters such as $filter and $select inside an
//     $expand query."
//
// The answers' wording is *unverified*: the simulator answers 400
// Request_UnsupportedQuery naming the property, as Graph answers an
// over-long displayName (microsoftgraph/msgraph-sdk-dotnet issue 159).
const (
	eqMaxChars     = 120
	advancedMaxURL = 2048
	inMaxValues    = 15
)

// limitRules are the rows of queryRules these limits add.
func limitRules() []queryRule {
	return []queryRule{
		{name: "eq values of at most 120 characters, in lists of at most 15, by default; URLs of at most 2,048 characters in advanced queries",
			check: checkFilterLimits, doc: knownIssuesDoc},
		{name: "no query options nested inside $expand", check: func(r *http.Request) *graphError {
			if strings.Contains(queryOpt(r, "expand"), "(") {
				return badRequest("Parsing OData Select and Expand failed: nested query options such as $select or $filter inside $expand are not supported on directory objects.")
			}
			return nil
		}, doc: knownIssuesDoc},
	}
}

// checkFilterLimits applies the eq, in and URL limits.
func checkFilterLimits(r *http.Request) *graphError {
	if advancedReq(r) {
		if n := len("https://graph.microsoft.com") + len(r.URL.RequestURI()); n > advancedMaxURL {
			return unsupportedQuery("The request URL is %d characters long; advanced queries accept at most %d.", n, advancedMaxURL)
		}
		return nil
	}
	s := queryOpt(r, "filter")
	if s == "" {
		return nil
	}
	f, err := parseFilter(s)
	if err != nil {
		return nil // the handler answers a malformed filter
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
		return unsupportedQuery("Unsupported or invalid query filter clause specified for property '%s'.", bad.prop)
	}
	return nil
}
