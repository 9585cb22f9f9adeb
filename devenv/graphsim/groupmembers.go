package graphsim

import (
	"strings"
)

// groupMemberRoutes: the users among a group's direct members, through the
// OData cast groups/{id}/members/microsoft.graph.user.
func groupMemberRoutes() []route {
	return []route{
		// Cost: as groups/{id}/members in learn.microsoft.com/graph/throttling-limits
		// ("Identity and access service limits", 3 resource units).
		{method: "GET", pattern: "/v1.0/groups/{id}/members/microsoft.graph.user", handle: listMemberUsers, ru: 3,
			doc: "learn.microsoft.com/graph/api/group-list-members"},
	}
}

// listMemberUsers: GET /groups/{id}/members/microsoft.graph.user — the
// group's direct members that are users, as users (nested groups, devices
// and contacts are left out by the cast). Rules, from group-list-members
// ("Optional query parameters", "Request headers" and examples 3–4) and
// learn.microsoft.com/graph/aad-advanced-queries:
//   - the OData cast (and $filter, $orderby, $search) needs the advanced
//     query parameters: ConsistencyLevel: eventual AND $count=true, else
//     400 Request_UnsupportedQuery;
//   - $filter takes the user properties and operators of userFilters (the
//     user resource's table), in advanced mode;
//   - $count=true puts @odata.count on the first page; $top 1..999
//     (default 100); $select of user properties; $skip refused.
//
// Members are served in the order of /users (lower-case
// userPrincipalName, then id), the next link holding the last one served.
func listMemberUsers(c *call, p params) *graphError {
	q, e := parseQuery(c.r, 100)
	if e != nil {
		return e
	}
	if !advanced(c.r, q) {
		return unsupportedQuery("The OData cast on members requires the advanced query parameters: add $count=true and the ConsistencyLevel: eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information")
	}
	if q.get("skip") != "" {
		return badRequest("'$skip' is not supported by the service.")
	}
	if q.get("search") != "" || q.get("orderby") != "" || q.get("expand") != "" {
		return unsupportedQuery("The simulator implements $filter, $select, $top and $count on members/microsoft.graph.user.")
	}
	fields, e := userSelection(q.sel)
	if e != nil {
		return e
	}
	f, lo, hi, e := userFilter(q, true)
	if e != nil {
		return e
	}
	pos, e := q.skipToken()
	if e != nil {
		return e
	}
	after := cursor{key: pos.Key, id: pos.ID}
	rangeOnly := f != nil && isRangeOnly(f)
	c.t.mu.Lock()
	g, ok := c.t.groups[strings.ToLower(p["id"])]
	if !ok {
		c.t.mu.Unlock()
		return notFound(p["id"])
	}
	explicit := g.explicitUsers()
	// Generated users outside the group are skipped without being
	// generated (the simulator's CPU, not Graph's, would be measured).
	explicitIdx := map[int]bool{}
	for id := range explicit {
		if i := c.t.gen.indexOf(id); i >= 0 {
			explicitIdx[i] = true
		}
	}
	keep := func(i int) bool {
		_, gid := c.t.gen.access(i)
		return gid == g.id || explicitIdx[i]
	}
	member := func(u *User) bool {
		return c.t.isDirectUser(g, explicit, u.ID) && (f == nil || rangeOnly || eval(f, func(p string) any { return userProp(u, p) }))
	}
	pg := listPage{context: c.ctx("users" + q.selectSuffix()), count: -1}
	if q.count && after.key == "" {
		pg.count = 0
		c.t.users.scanWhere(cursor{}, lo, hi, keep, func(u *User, _ string) bool {
			if member(u) {
				pg.count++
			}
			return true
		})
	}
	var body []byte
	served, more := 0, false
	var last cursor
	c.t.users.scanWhere(after, lo, hi, keep, func(u *User, key string) bool {
		if !member(u) {
			return true
		}
		if served == q.top {
			more = true
			return false
		}
		if served > 0 {
			body = append(body, ',')
		}
		body = appendUser(body, u, fields, false, false, "")
		served++
		last = cursor{key: key, id: u.ID}
		return true
	})
	c.t.mu.Unlock()
	pg.items, pg.next = body, nextPos(more, pageToken{Key: last.key, ID: last.id})
	c.t.countPage(served)
	c.writePage(pg)
	return nil
}

// explicitUsers is the set of users added to g one by one (lower-case ids).
func (g *group) explicitUsers() map[string]bool {
	out := make(map[string]bool, len(g.members))
	for _, m := range g.members {
		if m.kind == "user" {
			out[m.id] = true
		}
	}
	return out
}

// isDirectUser reports whether user id is a direct member of g: added
// explicitly, or generated into it and not removed since. The caller holds
// t.mu.
func (t *Tenant) isDirectUser(g *group, explicit map[string]bool, id string) bool {
	id = strings.ToLower(id)
	if explicit[id] {
		return true
	}
	if !g.generated || g.removed[id] {
		return false
	}
	i := t.gen.indexOf(id)
	if i < 0 {
		return false
	}
	_, gid := t.gen.access(i)
	return gid == g.id
}
