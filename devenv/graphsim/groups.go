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
func listMembers(c *call, p params) *graphError {
	q, e := parseQuery(c.r, 100)
	if e != nil {
		return e
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
			if _, gid := c.t.gen.access(i); gid != g.id {
				continue
			}
			if u, ok := c.t.users.get(c.t.gen.userID(i)); ok {
				sep()
				body = appendUser(body, &u, fields, false, true, "#microsoft.graph.user")
			}
		}
		for i := pos.Gen; i < c.t.gen.n && !more; i++ {
			_, gid := c.t.gen.access(i)
			more = gid == g.id
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
