package graphsim

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// userField is one selectable user property.
type userField struct {
	name string
	def  bool // returned without $select
	put  func(b []byte, u *User) []byte
	// empty reports whether the value is unset (omitted in delta items).
	empty func(u *User) bool
}

func strOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

var userFields = []userField{
	{name: "businessPhones", def: true, put: func(b []byte, u *User) []byte { return append(b, "[]"...) }, empty: func(*User) bool { return true }},
	{name: "displayName", def: true, put: func(b []byte, u *User) []byte { return strOrNull(b, u.DisplayName) }, empty: func(u *User) bool { return u.DisplayName == "" }},
	{name: "givenName", def: true, put: func(b []byte, u *User) []byte { return strOrNull(b, u.GivenName) }, empty: func(u *User) bool { return u.GivenName == "" }},
	{name: "jobTitle", def: true, put: func(b []byte, u *User) []byte { return strOrNull(b, u.JobTitle) }, empty: func(u *User) bool { return u.JobTitle == "" }},
	{name: "mail", def: true, put: func(b []byte, u *User) []byte { return strOrNull(b, u.Mail) }, empty: func(u *User) bool { return u.Mail == "" }},
	{name: "mobilePhone", def: true, put: func(b []byte, u *User) []byte { return append(b, "null"...) }, empty: func(*User) bool { return true }},
	{name: "officeLocation", def: true, put: func(b []byte, u *User) []byte { return append(b, "null"...) }, empty: func(*User) bool { return true }},
	{name: "preferredLanguage", def: true, put: func(b []byte, u *User) []byte { return append(b, "null"...) }, empty: func(*User) bool { return true }},
	{name: "surname", def: true, put: func(b []byte, u *User) []byte { return strOrNull(b, u.Surname) }, empty: func(u *User) bool { return u.Surname == "" }},
	{name: "userPrincipalName", def: true, put: func(b []byte, u *User) []byte { return strOrNull(b, u.UserPrincipalName) }, empty: func(u *User) bool { return u.UserPrincipalName == "" }},
	{name: "id", def: true, put: func(b []byte, u *User) []byte { return appendJSONString(b, u.ID) }, empty: func(*User) bool { return false }},
	{name: "accountEnabled", put: func(b []byte, u *User) []byte { return strconv.AppendBool(b, u.AccountEnabled) }, empty: func(*User) bool { return false }},
	{name: "userType", put: func(b []byte, u *User) []byte { return strOrNull(b, u.UserType) }, empty: func(u *User) bool { return u.UserType == "" }},
	{name: "proxyAddresses", put: func(b []byte, u *User) []byte {
		b = append(b, '[')
		for i, p := range u.ProxyAddresses {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, p)
		}
		return append(b, ']')
	}, empty: func(u *User) bool { return len(u.ProxyAddresses) == 0 }},
	{name: "onPremisesImmutableId", put: func(b []byte, u *User) []byte { return strOrNull(b, u.OnPremisesImmutableID) }, empty: func(u *User) bool { return u.OnPremisesImmutableID == "" }},
}

// userFieldIndex finds a field by name (case-insensitive).
func userFieldIndex(name string) int {
	for i, f := range userFields {
		if strings.EqualFold(f.name, name) {
			return i
		}
	}
	return -1
}

// userSelection resolves $select into fields (defaults when empty).
func userSelection(sel []string) ([]*userField, *graphError) {
	var out []*userField
	if len(sel) == 0 {
		for i := range userFields {
			if userFields[i].def {
				out = append(out, &userFields[i])
			}
		}
		return out, nil
	}
	for _, s := range sel {
		i := userFieldIndex(s)
		if i < 0 {
			return nil, errf(400, "Request_BadRequest", "Could not find a property named '%s' on type 'microsoft.graph.user'.", s)
		}
		out = append(out, &userFields[i])
	}
	return out, nil
}

// userProp returns a user's property for filters.
func userProp(u *User, p string) any {
	switch strings.ToLower(p) {
	case "id":
		return u.ID
	case "userprincipalname":
		return u.UserPrincipalName
	case "mail":
		return u.Mail
	case "displayname":
		return u.DisplayName
	case "givenname":
		return u.GivenName
	case "surname":
		return u.Surname
	case "accountenabled":
		return u.AccountEnabled
	case "usertype":
		return u.UserType
	}
	return nil
}

// appendUser writes u as a JSON object with fields; omitEmpty leaves unset
// values out (delta).
func appendUser(b []byte, u *User, fields []*userField, omitEmpty, withID bool, odataType string) []byte {
	b = append(b, '{')
	first := true
	comma := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	if odataType != "" {
		comma()
		b = append(b, `"@odata.type":`...)
		b = appendJSONString(b, odataType)
	}
	hasID := false
	for _, f := range fields {
		if omitEmpty && f.empty(u) {
			continue
		}
		if f.name == "id" {
			hasID = true
		}
		comma()
		b = append(b, '"')
		b = append(b, f.name...)
		b = append(b, `":`...)
		b = f.put(b, u)
	}
	if withID && !hasID {
		comma()
		b = append(b, `"id":`...)
		b = appendJSONString(b, u.ID)
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return append(b, '"')
}

func encodeCursor(c cursor) string { return b64url([]byte(c.key + "\x00" + c.id)) }

func decodeCursor(s string) (cursor, bool) {
	raw, err := unb64url(s)
	if err != nil {
		return cursor{}, false
	}
	k, id, ok := strings.Cut(string(raw), "\x00")
	return cursor{key: k, id: id}, ok
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
func listUsers(c *call) *graphError {
	q, e := parseQuery(c.r, 100)
	if e != nil {
		return e
	}
	fields, e := userSelection(q.sel)
	if e != nil {
		return e
	}
	adv := advanced(c.r, q)
	if q.get("search") != "" {
		if !strings.EqualFold(c.r.Header.Get("ConsistencyLevel"), "eventual") {
			return unsupportedQuery("Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'")
		}
		return unsupportedQuery("The simulator does not implement $search.")
	}
	if ob := q.get("orderby"); ob != "" && !strings.EqualFold(strings.TrimSuffix(ob, " asc"), "userPrincipalName") {
		return unsupportedQuery("Sorting not supported for current query.")
	}
	if q.get("skip") != "" {
		return badRequest("'$skip' is not supported by the service.")
	}
	var f *node
	lo, hi := "", ""
	if s := q.get("filter"); s != "" {
		n, err := parseFilter(s)
		if err != nil {
			return badRequest("Invalid filter clause: %s", err.Error())
		}
		if e := checkFilter(n, userFilters, "User", adv); e != nil {
			return e
		}
		f = n
		lo, hi = upnRange(n)
	}
	expand, expandSel, e := memberOfExpand(q)
	if e != nil {
		return e
	}
	if expand && q.top > expandMaxPage {
		q.top = expandMaxPage
	}
	var after cursor
	if s := q.get("skiptoken"); s != "" {
		cur, ok := decodeCursor(s)
		if !ok {
			return badRequest("Invalid skip token '%s'.", s)
		}
		after = cur
	}
	// A filter that is only a userPrincipalName range is fully applied by
	// the scan's bounds.
	rangeOnly := f != nil && isRangeOnly(f)
	match := func(u *User) bool {
		return f == nil || rangeOnly || eval(f, func(p string) any { return userProp(u, p) })
	}
	bp, bb := getBuf(), getBuf()
	buf, body := (*bp)[:0], (*bb)[:0]
	defer func() { putBuf(bp, buf); putBuf(bb, body) }()
	buf = append(buf, `{"@odata.context":`...)
	buf = appendJSONString(buf, c.ctx("users"+q.selectSuffix()))
	c.t.mu.Lock()
	if q.count && adv && after.key == "" {
		n := 0
		switch {
		case f == nil:
			n = c.t.users.count
		case rangeOnly:
			n = c.t.users.countRange(lo, hi)
		default:
			c.t.users.scan(cursor{}, lo, hi, func(u *User, _ string) bool {
				if match(u) {
					n++
				}
				return true
			})
		}
		buf = append(buf, `,"@odata.count":`...)
		buf = strconv.AppendInt(buf, int64(n), 10)
	}
	served := 0
	var last cursor
	more := false
	scan := c.t.users.scan
	if f != nil && after.key == "" {
		// An equality lookup on UPN or mail is answered from the indexes, in
		// the scan's order; a result longer than a page falls back to the scan.
		if hits, ok := c.t.users.lookup(f); ok && len(hits) <= q.top {
			scan = func(_ cursor, _, _ string, fn func(u *User, key string) bool) {
				for i := range hits {
					if !fn(&hits[i], hits[i].key()) {
						return
					}
				}
			}
		}
	}
	scan(after, lo, hi, func(u *User, key string) bool {
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
	if more {
		buf = append(buf, `,"@odata.nextLink":`...)
		buf = appendJSONString(buf, nextLink(c.base, c.r, encodeCursor(last)))
	}
	buf = append(buf, `,"value":[`...)
	buf = append(buf, body...)
	buf = append(buf, "]}"...)
	c.t.countPage(served)
	writeJSON(c.w, 200, buf)
	return nil
}

// getUser: GET /users/{id | userPrincipalName} with $select.
func getUser(c *call) *graphError {
	q, e := parseQuery(c.r, 0)
	if e != nil {
		return e
	}
	fields, e := userSelection(q.sel)
	if e != nil {
		return e
	}
	key := c.args[0]
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
func listMemberOf(c *call) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	u, ok := c.t.users.get(c.args[0])
	if !ok {
		return notFound(c.args[0])
	}
	vals := []any{}
	for _, g := range c.t.directGroups(u.ID) {
		vals = append(vals, groupObject(g))
	}
	c.t.countPage(0)
	writeJSON(c.w, 200, map[string]any{"@odata.context": c.ctx("directoryObjects"), "value": vals})
	return nil
}

// directGroups returns the groups userID is a direct member of, in a stable
// order. The caller holds t.mu.
func (t *Tenant) directGroups(userID string) []*group {
	var out []*group
	seen := map[string]bool{}
	add := func(g *group) {
		if g != nil && !seen[g.id] {
			seen[g.id] = true
			out = append(out, g)
		}
	}
	if i := t.gen.indexOf(userID); i >= 0 {
		if _, gid := t.gen.access(i); gid != "" {
			add(t.groups[gid])
		}
	}
	var explicit []*group
	for _, g := range t.groups {
		for _, m := range g.members {
			if m.id == userID && !seen[g.id] {
				explicit = append(explicit, g)
				break
			}
		}
	}
	sort.Slice(explicit, func(i, j int) bool { return explicit[i].id < explicit[j].id })
	for _, g := range explicit {
		add(g)
	}
	return out
}

// groupObject is a group as a directoryObject in memberOf.
func groupObject(g *group) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.group", "id": g.id, "displayName": g.name,
		"securityEnabled": true, "mailEnabled": false, "groupTypes": []any{}}
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

// bufPool recycles page buffers (a 999-user page is about 250 KB).
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

// putBuf returns the (possibly grown) buffer b to the pool through p.
func putBuf(p *[]byte, b []byte) {
	if cap(b) > 4<<20 {
		return
	}
	*p = b[:0]
	bufPool.Put(p)
}
