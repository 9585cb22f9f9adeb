package graphsim

import (
	"net/http"
	"slices"
	"strings"
)

// simAppID is the client application id the simulator's tokens are issued
// to (it appears in x-ms-throttle-scope).
const simAppID = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"

// route is one row of the simulator's route table: an endpoint, what
// serves it, what it costs and the Microsoft Learn page its behaviour
// follows. Each resource file (applications.go, users.go, …) lists its
// rows; routeTable joins them, and the endpoint list in doc.go is checked
// against it (TestDocListsEveryRoute).
type route struct {
	method string
	// pattern is the URL path with named parameters: a segment "{id}", or
	// a parameter inside a segment as in "applications(appId='{appId}')".
	pattern string
	// handle serves a Graph request (after faults, authentication and the
	// resource-unit charge); params holds the pattern's named parameters.
	handle func(c *call, p params) *graphError
	// serve, instead of handle, serves an endpoint that is not Graph (the
	// managed-identity token, federation metadata): no faults, no
	// authentication, no charge. It is selected by path alone and answers
	// other methods itself.
	serve func(s *Server, w http.ResponseWriter, r *http.Request, p params)
	// ru is a read's base resource-unit cost from Microsoft's throttling
	// table (0 = 1, a path the table does not list); writes cost 1 and
	// costRules (rules.go) adjust reads for $select, $expand and $top.
	ru int
	// doc is the Microsoft Learn page the behaviour follows (host and
	// path, e.g. learn.microsoft.com/graph/api/user-list).
	doc string
}

// params are a matched route's named path parameters.
type params map[string]string

// routeTable is every endpoint the simulator serves, grouped by resource.
func routeTable() []route {
	return slices.Concat(applicationRoutes(), servicePrincipalRoutes(), ownerRoutes(), appRoleAssignmentRoutes(), policyRoutes(),
		userRoutes(), deltaRoutes(), groupRoutes(), groupMemberRoutes(), groupDeltaRoutes(), tokenRoutes(), metadataRoutes())
}

// write reports whether the route changes the tenant (charged against
// the write budget).
func (rt *route) write() bool { return rt.handle != nil && rt.method != http.MethodGet }

// name is the route's key in Stats.Requests, e.g. "GET /v1.0/users/{id}".
func (rt *route) name() string { return rt.method + " " + rt.pattern }

// cost is the request's resource-unit cost (rules.go, costRules).
func (rt *route) cost(r *http.Request) int {
	if rt.write() {
		return 1
	}
	return readCost(rt.ru, r)
}

func (rt *route) kind() string {
	if rt.write() {
		return "Write"
	}
	return "Read"
}

// router matches request paths against the route table.
type router struct {
	routes []route
	segs   [][]string // each route's pattern, split at "/"
}

func newRouter(rs []route) *router {
	rt := &router{routes: rs}
	for _, r := range rs {
		rt.segs = append(rt.segs, strings.Split(strings.Trim(r.pattern, "/"), "/"))
	}
	return rt
}

// match returns the route for method and path with its parameters. When
// several patterns match, the one with the fewest parameters wins
// (/users/delta before /users/{id}). A path that matches a Graph pattern
// under another method returns a route without a handler (named after
// the pattern); a path no pattern matches returns nil.
func (rt *router) match(method, path string) (*route, params) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		segs[i] = canonicalKey(s)
	}
	var best, pathOnly *route
	var bestP, pathOnlyP params
	for i := range rt.routes {
		r := &rt.routes[i]
		p, ok := matchSegments(rt.segs[i], segs)
		if !ok {
			continue
		}
		if r.serve == nil && r.method != method {
			if pathOnly == nil || len(p) < len(pathOnlyP) {
				pathOnly, pathOnlyP = r, p
			}
			continue
		}
		if best == nil || len(p) < len(bestP) {
			best, bestP = r, p
		}
	}
	if best != nil {
		return best, bestP
	}
	if pathOnly != nil {
		return &route{method: method, pattern: pathOnly.pattern}, pathOnlyP
	}
	return nil, nil
}

// matchSegments matches path segments against a pattern's.
func matchSegments(pattern, segs []string) (params, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var p params
	for i, ps := range pattern {
		open := strings.IndexByte(ps, '{')
		if open < 0 {
			if ps != segs[i] {
				return nil, false
			}
			continue
		}
		end := strings.IndexByte(ps, '}')
		prefix, name, suffix := ps[:open], ps[open+1:end], ps[end+1:]
		s := segs[i]
		if len(s) < len(prefix)+len(suffix) || !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) {
			return nil, false
		}
		if p == nil {
			p = params{}
		}
		p[name] = s[len(prefix) : len(s)-len(suffix)]
	}
	return p, true
}

// canonicalKey rewrites an alternate-key segment as Graph accepts it
// (servicePrincipals(appId = "x"), appid=x, …) to the one form the route
// patterns use: servicePrincipals(appId='x').
func canonicalKey(seg string) string {
	i := strings.Index(seg, "(")
	if i < 0 || !strings.HasSuffix(seg, ")") {
		return seg
	}
	k, v, ok := strings.Cut(seg[i+1:len(seg)-1], "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(k), "appId") {
		return seg
	}
	return seg[:i] + "(appId='" + strings.Trim(strings.TrimSpace(v), "'") + "')"
}
