package graphsim

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
)

type group struct {
	id, name  string
	members   []member // explicit members
	generated bool     // the generator adds members lazily
	nested    string   // a nested group (generated)
	// removed are generated members taken out of the group since.
	removed map[string]bool
}

type member struct{ id, kind string }

// groupRoutes: a group and its direct members.
func groupRoutes() []route {
	const api = "learn.microsoft.com/graph/api/"
	return []route{
		{method: "GET", pattern: "/v1.0/groups/{id}", handle: getGroup, doc: api + "group-get"},
		{method: "GET", pattern: "/v1.0/groups/{id}/members", handle: listMembers, ru: 3, doc: api + "group-list-members"},
	}
}

// AddGroup adds a security group and returns its id.
func (t *Tenant) AddGroup(name string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := uuid.NewString()
	t.groups[id] = &group{id: id, name: name}
	return id
}

// AddMember makes memberID (a user or group) a direct member of groupID.
func (t *Tenant) AddMember(groupID, memberID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.groups[groupID]
	if !ok {
		return fmt.Errorf("graphsim: no group %s", groupID)
	}
	kind := "user"
	if _, isGroup := t.groups[memberID]; isGroup {
		kind = "group"
	} else if _, ok := t.users.get(memberID); !ok {
		return fmt.Errorf("graphsim: no user or group %s", memberID)
	}
	g.members = append(g.members, member{id: strings.ToLower(memberID), kind: kind})
	delete(g.removed, strings.ToLower(memberID))
	t.logMemberChange(g.id, strings.ToLower(memberID), kind, false)
	return nil
}

// RemoveMember takes memberID (a user or group) out of groupID's direct
// members, whether it was added explicitly or generated there.
func (t *Tenant) RemoveMember(groupID, memberID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.groups[strings.ToLower(groupID)]
	if !ok {
		return fmt.Errorf("graphsim: no group %s", groupID)
	}
	id := strings.ToLower(memberID)
	kind, found := "user", false
	for i, m := range g.members {
		if m.id == id {
			kind, found = m.kind, true
			g.members = append(g.members[:i:i], g.members[i+1:]...)
			break
		}
	}
	if !found && g.generated && t.isDirectUser(g, nil, id) {
		if g.removed == nil {
			g.removed = map[string]bool{}
		}
		g.removed[id], found = true, true
	}
	if !found {
		return fmt.Errorf("graphsim: %s is not a direct member of %s", memberID, groupID)
	}
	t.logMemberChange(g.id, id, kind, true)
	return nil
}

// getGroup: GET /groups/{id}.
func getGroup(c *call, p params) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	g, ok := c.t.groups[strings.ToLower(p["id"])]
	if !ok {
		return notFound(p["id"])
	}
	obj := groupObject(g)
	delete(obj, "@odata.type")
	obj["@odata.context"], obj["mail"] = c.ctx("groups/$entity"), nil
	writeJSON(c.w, 200, obj)
	return nil
}

// listMembers: GET /groups/{id}/members: direct members only, each with
// @odata.type; users with the default properties or $select; paged.
//
// $filter, $search and $orderby need the advanced query parameters
// (ConsistencyLevel: eventual and $count=true; group-list-members,
// "Request headers"), else 400; with them, the simulator implements them
// only on the cast to users (groupmembers.go) and says so.
func listMembers(c *call, p params) *graphError {
	q, e := parseQuery(c.r, 100)
	if e != nil {
		return e
	}
	if q.get("filter") != "" || q.get("search") != "" || q.get("orderby") != "" {
		if !advanced(c.r, q) {
			return unsupportedQuery("$filter, $search and $orderby on members require the advanced query parameters: add $count=true and the ConsistencyLevel: eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information")
		}
		return unsupportedQuery("The simulator implements $filter on members only through the cast members/microsoft.graph.user.")
	}
	fields, e := userSelection(q.sel)
	if e != nil {
		return e
	}
	pos, e := q.skipToken()
	if e != nil {
		return e
	}
	c.t.mu.Lock()
	g, ok := c.t.groups[strings.ToLower(p["id"])]
	if !ok {
		c.t.mu.Unlock()
		return notFound(p["id"])
	}
	explicit := append([]member(nil), g.members...)
	if g.nested != "" {
		explicit = append(explicit, member{id: g.nested, kind: "group"})
	}
	var body []byte
	n := 0
	sep := func() {
		if n > 0 {
			body = append(body, ',')
		}
		n++
	}
	for pos.Explicit < len(explicit) && n < q.top {
		m := explicit[pos.Explicit]
		pos.Explicit++
		switch m.kind {
		case "group":
			if sub, ok := c.t.groups[m.id]; ok {
				sep()
				body = append(body, `{"@odata.type":"#microsoft.graph.group","id":`...)
				body = appendJSONString(body, sub.id)
				body = append(body, `,"displayName":`...)
				body = appendJSONString(body, sub.name)
				body = append(body, '}')
			}
		default:
			if u, ok := c.t.users.get(m.id); ok {
				sep()
				body = appendUser(body, &u, fields, false, true, "#microsoft.graph.user")
			}
		}
	}
	more := pos.Explicit < len(explicit)
	if g.generated {
		for pos.Gen < c.t.gen.n && n < q.top {
			i := pos.Gen
			pos.Gen++
			if _, gid := c.t.gen.access(i); gid != g.id || g.removed[c.t.gen.userID(i)] {
				continue
			}
			if u, ok := c.t.users.get(c.t.gen.userID(i)); ok {
				sep()
				body = appendUser(body, &u, fields, false, true, "#microsoft.graph.user")
			}
		}
		for i := pos.Gen; i < c.t.gen.n && !more; i++ {
			_, gid := c.t.gen.access(i)
			more = gid == g.id && !g.removed[c.t.gen.userID(i)]
		}
	}
	c.t.mu.Unlock()
	c.t.countPage(n)
	c.writePage(listPage{context: c.ctx("directoryObjects"), count: -1, items: body, next: nextPos(more, pos)})
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
		if _, gid := t.gen.access(i); gid != "" && (t.groups[gid] == nil || !t.groups[gid].removed[userID]) {
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
