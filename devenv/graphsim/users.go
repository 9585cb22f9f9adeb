package graphsim

import (
	"encoding/json"
	"strings"
)

// userRoutes: users by id or userPrincipalName, the list, and the groups a
// user is a direct member of. (users/delta is in delta.go.)
func userRoutes() []route {
	const api = "learn.microsoft.com/graph/api/"
	return []route{
		{method: "GET", pattern: "/v1.0/users", handle: listUsers, ru: 2, doc: api + "user-list"},
		{method: "GET", pattern: "/v1.0/users/{id}", handle: getUser, doc: api + "user-get"},
		{method: "GET", pattern: "/v1.0/users/{id}/memberOf", handle: listMemberOf, ru: 2, doc: api + "user-list-memberof"},
	}
}

// listUsers: GET /users.
//
// Paging: $top (1..999, default 100); @odata.nextLink repeats the query
// with a $skiptoken holding the last key served. Users are served in a
// stable order (lower-case userPrincipalName, then id), so a user changed
// or added during a scan is seen at most once per key.
//
// $filter accepts exactly the operators userFilters lists (from
// Microsoft's user property table and advanced-query page), combined with
// and/or/not and parentheses. Notably, for the sharded full scan:
//   - startswith(userPrincipalName,'a') — default query;
//   - userPrincipalName ge 'a' and userPrincipalName le 'b' — default query
//     (ge and le are documented for userPrincipalName; gt and lt are not
//     and are refused);
//   - not startswith(userPrincipalName,'a'), userPrincipalName ne '…',
//     endswith(userPrincipalName,'…') — advanced query only
//     (ConsistencyLevel: eventual and $count=true), else 400
//     Request_UnsupportedQuery, as Graph answers;
//   - userPrincipalName eq '…' or mail eq '…' (the one-user lookup).
//
// $count=true with ConsistencyLevel: eventual adds @odata.count to the
// first page; $search is refused.
func listUsers(c *call, _ params) *graphError {
	q, e := parseQuery(c.r, 100)
	if e != nil {
		return e
	}
	fields, e := userSelection(q.sel)
	if e != nil {
		return e
	}
	adv := advanced(c.r, q)
	if e := refuseUserQuery(c, q); e != nil {
		return e
	}
	f, lo, hi, e := userFilter(q, adv)
	if e != nil {
		return e
	}
	expand, expandSel, e := memberOfExpand(q)
	if e != nil {
		return e
	}
	if expand && q.top > expandMaxPage {
		q.top = expandMaxPage
	}
	if ok, desc := byDisplayName(q); ok {
		return c.listUsersByDisplayName(q, fields, func(u *User) bool { return f == nil || eval(f, func(p string) any { return userProp(u, p) }) }, expand, expandSel, desc)
	}
	pos, e := q.skipToken()
	if e != nil {
		return e
	}
	after := cursor{key: pos.Key, id: pos.ID}
	// A filter that is only a userPrincipalName range is fully applied by
	// the scan's bounds.
	rangeOnly := f != nil && isRangeOnly(f)
	match := func(u *User) bool {
		return f == nil || rangeOnly || eval(f, func(p string) any { return userProp(u, p) })
	}
	bb := getBuf()
	body := (*bb)[:0]
	defer func() { putBuf(bb, body) }()
	pg := listPage{context: c.ctx("users" + q.selectSuffix()), count: -1}
	c.t.mu.Lock()
	if q.count && adv && after.key == "" {
		pg.count = c.t.countUsers(f, rangeOnly, lo, hi, match)
	}
	served := 0
	var last cursor
	more := false
	c.t.userScan(f, after, q.top)(after, lo, hi, func(u *User, key string) bool {
		if !match(u) {
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
		if expand {
			body = c.t.appendMemberOf(body, u.ID, expandSel)
		}
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

// refuseUserQuery answers the query options /users does not take as Graph
// does: $search (not implemented), $orderby on a property the sorting table
// does not list (rules.go, checkUserOrderBy), $skip.
func refuseUserQuery(c *call, q *query) *graphError {
	if q.get("search") != "" {
		if !strings.EqualFold(c.r.Header.Get("ConsistencyLevel"), "eventual") {
			return unsupportedQuery("Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'")
		}
		return unsupportedQuery("The simulator does not implement $search.")
	}
	if e := checkUserOrderBy(c.r); e != nil {
		return e
	}
	if q.get("skip") != "" {
		return badRequest("'$skip' is not supported by the service.")
	}
	return nil
}

// userFilter parses and checks $filter on /users; lo and hi bound the
// userPrincipalName range the scan must cover.
func userFilter(q *query, adv bool) (f *node, lo, hi string, e *graphError) {
	s := q.get("filter")
	if s == "" {
		return nil, "", "", nil
	}
	n, err := parseFilter(s)
	if err != nil {
		return nil, "", "", badRequest("Invalid filter clause: %s", err.Error())
	}
	if e := checkFilter(n, userFilters, "User", adv); e != nil {
		return nil, "", "", e
	}
	lo, hi = upnRange(n)
	return n, lo, hi, nil
}

// userScan is how a /users page walks the users: an equality lookup on UPN
// or mail on the first page is answered from the indexes, in the scan's
// order; otherwise (or when the result is longer than a page) the scan.
// The caller holds t.mu.
func (t *Tenant) userScan(f *node, after cursor, top int) func(after cursor, from, to string, fn func(u *User, key string) bool) {
	if f == nil || after.key != "" {
		return t.users.scan
	}
	hits, ok := t.users.lookup(f)
	if !ok || len(hits) > top {
		return t.users.scan
	}
	return func(_ cursor, _, _ string, fn func(u *User, key string) bool) {
		for i := range hits {
			if !fn(&hits[i], hits[i].key()) {
				return
			}
		}
	}
}

// countUsers is @odata.count for a /users filter; the caller holds t.mu.
func (t *Tenant) countUsers(f *node, rangeOnly bool, lo, hi string, match func(*User) bool) int {
	switch {
	case f == nil:
		return t.users.count
	case rangeOnly:
		return t.users.countRange(lo, hi)
	}
	n := 0
	t.users.scan(cursor{}, lo, hi, func(u *User, _ string) bool {
		if match(u) {
			n++
		}
		return true
	})
	return n
}

// getUser: GET /users/{id | userPrincipalName} with $select.
func getUser(c *call, p params) *graphError {
	q, e := parseQuery(c.r, 0)
	if e != nil {
		return e
	}
	fields, e := userSelection(q.sel)
	if e != nil {
		return e
	}
	key := p["id"]
	c.t.mu.Lock()
	u, ok := c.t.users.get(key)
	c.t.mu.Unlock()
	if !ok {
		return notFound(key)
	}
	b := []byte(`{"@odata.context":`)
	b = appendJSONString(b, c.ctx("users"+q.selectSuffix()+"/$entity"))
	b = append(b, ',')
	b = append(b, appendUser(nil, &u, fields, false, false, "")[1:]...)
	writeJSON(c.w, 200, b)
	return nil
}

// listMemberOf: GET /users/{id}/memberOf (groups the user is a direct
// member of; one page).
func listMemberOf(c *call, p params) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	u, ok := c.t.users.get(p["id"])
	if !ok {
		return notFound(p["id"])
	}
	var vals []map[string]any
	for _, g := range c.t.directGroups(u.ID) {
		vals = append(vals, groupObject(g))
	}
	c.t.countPage(0)
	c.writePage(listPage{context: c.ctx("directoryObjects"), count: -1, items: jsonItems(vals)})
	return nil
}

// Graph's documented limits on $expand over directory objects
// (learn.microsoft.com/graph/query-parameters, "expand"): at most 20
// expanded objects per relationship, with no nextLink for the rest, and
// list pages of at most 100 objects.
const (
	expandMaxItems = 20
	expandMaxPage  = 100
)

// memberOfExpand parses $expand on /users. Only memberOf (optionally
// memberOf($select=a,b)) is implemented; sel is nil for all properties.
func memberOfExpand(q *query) (on bool, sel []string, e *graphError) {
	x := strings.TrimSpace(q.get("expand"))
	if x == "" {
		return false, nil, nil
	}
	name, opts, hasOpts := strings.Cut(x, "(")
	if !strings.EqualFold(strings.TrimSpace(name), "memberOf") {
		// Graph's answer for an unknown property; the simulator implements
		// no other navigation property (manager, …) either.
		return false, nil, badRequest("Parsing OData Select and Expand failed: Could not find a property named '%s' on type 'microsoft.graph.user'. (The simulator expands memberOf only.)", strings.TrimSpace(name))
	}
	if hasOpts {
		opts, ok := strings.CutSuffix(strings.TrimSpace(opts), ")")
		k, v, _ := strings.Cut(opts, "=")
		if !ok || !strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(k), "$"), "select") {
			return false, nil, badRequest("Parsing OData Select and Expand failed: the simulator accepts only memberOf($select=…) in $expand.")
		}
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				sel = append(sel, f)
			}
		}
	}
	return true, sel, nil
}

// appendMemberOf appends ,"memberOf":[…] for u (at most expandMaxItems).
// The caller holds t.mu.
func (t *Tenant) appendMemberOf(b []byte, userID string, sel []string) []byte {
	b = b[:len(b)-1] // reopen the user object
	b = append(b, `,"memberOf":[`...)
	for i, g := range t.directGroups(userID) {
		if i == expandMaxItems {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		obj := groupObject(g)
		if sel != nil {
			keep := map[string]any{"@odata.type": obj["@odata.type"]}
			for _, f := range sel {
				for k, v := range obj {
					if strings.EqualFold(k, f) {
						keep[k] = v
					}
				}
			}
			obj = keep
		}
		raw, _ := json.Marshal(obj)
		b = append(b, raw...)
	}
	return append(b, "]}"...)
}
