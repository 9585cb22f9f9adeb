package graphsim

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// generatedEpoch is the createdDateTime of generated assignments.
var generatedEpoch = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)

func (a *assignment) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, a.ID)
	b = append(b, `,"deletedDateTime":null,"appRoleId":`...)
	b = appendJSONString(b, a.AppRoleID)
	b = append(b, `,"createdDateTime":`...)
	b = appendJSONString(b, stamp7(a.Created))
	b = append(b, `,"principalDisplayName":`...)
	b = strOrNull(b, a.PrincipalName)
	b = append(b, `,"principalId":`...)
	b = appendJSONString(b, a.PrincipalID)
	b = append(b, `,"principalType":`...)
	b = appendJSONString(b, a.PrincipalType)
	b = append(b, `,"resourceDisplayName":`...)
	b = strOrNull(b, a.ResourceName)
	b = append(b, `,"resourceId":`...)
	b = appendJSONString(b, a.ResourceID)
	return append(b, '}')
}

// generatedAssignment is the direct assignment of generated user i.
func (t *Tenant) generatedAssignment(sp *object, i int, u *User) *assignment {
	var b [32]byte
	if pid, err := uuid.Parse(u.ID); err == nil {
		copy(b[:16], guidLE(pid))
	}
	binary.BigEndian.PutUint64(b[16:], mix64(uint64(t.gen.seed)^uint64(i)))
	binary.BigEndian.PutUint64(b[24:], mix64(uint64(i)+0xa551))
	return &assignment{ID: b64url(b[:]), PrincipalID: u.ID, PrincipalType: "User", PrincipalName: u.DisplayName,
		ResourceID: sp.str("id"), ResourceName: sp.str("displayName"), AppRoleID: appRoleUserID, Created: generatedEpoch}
}

// pagePos is a position in a two-part virtual list: explicit entries,
// then generated users by index.
type pagePos struct {
	explicit int
	gen      int
}

func (p pagePos) encode() string {
	return b64url([]byte(strconv.Itoa(p.explicit) + ":" + strconv.Itoa(p.gen)))
}

// pagePos reads the $skiptoken of a paged list (the zero position when
// there is none); a token the simulator did not issue is a 400.
func (q *query) pagePos() (pagePos, *graphError) {
	s := q.get("skiptoken")
	if s == "" {
		return pagePos{}, nil
	}
	p, ok := decodePos(s)
	if !ok {
		return pagePos{}, badRequest("Invalid skip token '%s'.", s)
	}
	return p, nil
}

func decodePos(s string) (pagePos, bool) {
	raw, err := unb64url(s)
	if err != nil {
		return pagePos{}, false
	}
	a, b, ok := strings.Cut(string(raw), ":")
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	return pagePos{x, y}, ok && err1 == nil && err2 == nil && x >= 0 && y >= 0
}

// listAssignments: GET /servicePrincipals/{id}/appRoleAssignedTo, paged
// ($top ≤ 999, default 100).
func listAssignments(c *call) *graphError {
	q, e := parseQuery(c.r, 100)
	if e != nil {
		return e
	}
	pos, e := q.pagePos()
	if e != nil {
		return e
	}
	c.t.mu.Lock()
	sp := c.t.lookup("servicePrincipals", c.args[0], "")
	if sp == nil {
		c.t.mu.Unlock()
		return notFound(c.args[0])
	}
	var body []byte
	n := 0
	add := func(a *assignment) {
		if n > 0 {
			body = append(body, ',')
		}
		body = a.appendJSON(body)
		n++
	}
	for pos.explicit < len(sp.assigns) && n < q.top {
		add(sp.assigns[pos.explicit])
		pos.explicit++
	}
	if sp.seeded {
		for pos.gen < c.t.gen.n && n < q.top {
			i := pos.gen
			pos.gen++
			if a, _ := c.t.gen.access(i); a != AccessDirect {
				continue
			}
			if u, ok := c.t.users.get(c.t.gen.userID(i)); ok {
				add(c.t.generatedAssignment(sp, i, &u))
			}
		}
	}
	more := pos.explicit < len(sp.assigns) || (sp.seeded && c.t.hasDirectFrom(pos.gen))
	ctx := c.ctx("servicePrincipals('" + sp.str("id") + "')/appRoleAssignedTo")
	c.t.mu.Unlock()
	c.writePage(ctx, body, n, more, pos.encode())
	return nil
}

// hasDirectFrom reports whether a generated user at index >= i is
// assigned directly (so a next page exists).
func (t *Tenant) hasDirectFrom(i int) bool {
	for ; i < t.gen.n; i++ {
		if isDirect(t.gen, i) {
			if _, changed := t.users.over[i]; !changed || !t.users.over[i].deleted {
				return true
			}
		}
	}
	return false
}

func (c *call) writePage(ctx string, body []byte, n int, more bool, skiptoken string) {
	b := []byte(`{"@odata.context":`)
	b = appendJSONString(b, ctx)
	if more {
		b = append(b, `,"@odata.nextLink":`...)
		b = appendJSONString(b, nextLink(c.base, c.r, skiptoken))
	}
	b = append(b, `,"value":[`...)
	b = append(b, body...)
	b = append(b, "]}"...)
	c.t.countPage(n)
	writeJSON(c.w, 200, b)
}

// postAssignment: POST /servicePrincipals/{id}/appRoleAssignedTo
// {principalId, resourceId, appRoleId} → 201.
func postAssignment(c *call) *graphError {
	body, e := c.decodeObject()
	if e != nil {
		return e
	}
	pid, _ := body["principalId"].(string)
	rid, _ := body["resourceId"].(string)
	role, _ := body["appRoleId"].(string)
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	sp := c.t.lookup("servicePrincipals", c.args[0], "")
	if sp == nil {
		return notFound(c.args[0])
	}
	if !strings.EqualFold(rid, sp.str("id")) {
		return badRequest("Permission being assigned was not found on application: the resourceId must be the service principal's id.")
	}
	validRole := role == appRoleDefault
	for _, r := range sp.props["appRoles"].([]any) {
		if id, _ := r.(map[string]any)["id"].(string); strings.EqualFold(id, role) {
			validRole = true
		}
	}
	if !validRole {
		return badRequest("Permission being assigned was not found on application '%s'.", sp.str("appId"))
	}
	kind, name, ok := c.t.principal(pid)
	if !ok {
		return notFound(pid)
	}
	for _, a := range sp.assigns {
		if strings.EqualFold(a.PrincipalID, pid) && strings.EqualFold(a.AppRoleID, role) {
			return badRequest("Permission being assigned already exists on the object")
		}
	}
	if i := c.t.gen.indexOf(pid); sp.seeded && i >= 0 && isDirect(c.t.gen, i) && strings.EqualFold(role, appRoleUserID) {
		return badRequest("Permission being assigned already exists on the object")
	}
	a := c.t.newAssignment(sp, pid, kind, name, strings.ToLower(role))
	sp.assigns = append(sp.assigns, a)
	b := []byte(`{"@odata.context":`)
	b = appendJSONString(b, c.ctx("servicePrincipals('"+sp.str("id")+"')/appRoleAssignedTo/$entity"))
	b = append(b, ',')
	b = append(b, a.appendJSON(nil)[1:]...)
	writeJSON(c.w, 201, b)
	return nil
}

// getGroup: GET /groups/{id}.
func getGroup(c *call) *graphError {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	g, ok := c.t.groups[strings.ToLower(c.args[0])]
	if !ok {
		return notFound(c.args[0])
	}
	obj := groupObject(g)
	delete(obj, "@odata.type")
	obj["@odata.context"], obj["mail"] = c.ctx("groups/$entity"), nil
	writeJSON(c.w, 200, obj)
	return nil
}

// listMembers: GET /groups/{id}/members: direct members only, each with
// @odata.type; users with the default properties or $select; paged.
func listMembers(c *call) *graphError {
	q, e := parseQuery(c.r, 100)
	if e != nil {
		return e
	}
	fields, e := userSelection(q.sel)
	if e != nil {
		return e
	}
	pos, e := q.pagePos()
	if e != nil {
		return e
	}
	c.t.mu.Lock()
	g, ok := c.t.groups[strings.ToLower(c.args[0])]
	if !ok {
		c.t.mu.Unlock()
		return notFound(c.args[0])
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
	for pos.explicit < len(explicit) && n < q.top {
		m := explicit[pos.explicit]
		pos.explicit++
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
	more := pos.explicit < len(explicit)
	if g.generated {
		for pos.gen < c.t.gen.n && n < q.top {
			i := pos.gen
			pos.gen++
			if _, gid := c.t.gen.access(i); gid != g.id {
				continue
			}
			if u, ok := c.t.users.get(c.t.gen.userID(i)); ok {
				sep()
				body = appendUser(body, &u, fields, false, true, "#microsoft.graph.user")
			}
		}
		for i := pos.gen; i < c.t.gen.n && !more; i++ {
			_, gid := c.t.gen.access(i)
			more = gid == g.id
		}
	}
	c.t.mu.Unlock()
	c.writePage(c.ctx("directoryObjects"), body, n, more, pos.encode())
	return nil
}

func isDirect(g *generator, i int) bool {
	a, _ := g.access(i)
	return a == AccessDirect
}
