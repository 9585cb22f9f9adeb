package graphsim

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

type assignment struct {
	ID, PrincipalID, PrincipalType, PrincipalName, ResourceID, ResourceName, AppRoleID string
	Created                                                                            time.Time
}

// appRoleAssignmentRoutes: who is assigned to a service principal.
func appRoleAssignmentRoutes() []route {
	const api = "learn.microsoft.com/graph/api/"
	return []route{
		{method: "GET", pattern: "/v1.0/servicePrincipals/{id}/appRoleAssignedTo", handle: listAssignments, doc: api + "serviceprincipal-list-approleassignedto"},
		{method: "POST", pattern: "/v1.0/servicePrincipals/{id}/appRoleAssignedTo", handle: postAssignment, doc: api + "serviceprincipal-post-approleassignedto"},
	}
}

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

// Assign assigns principalID (user or group) to the service principal spID
// with the app's "User" role, as POST appRoleAssignedTo does.
func (t *Tenant) Assign(spID, principalID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	sp, ok := t.sps[spID]
	if !ok {
		return fmt.Errorf("graphsim: no service principal %s", spID)
	}
	kind, name, ok := t.principal(principalID)
	if !ok {
		return fmt.Errorf("graphsim: no principal %s", principalID)
	}
	sp.assigns = append(sp.assigns, t.newAssignment(sp, principalID, kind, name, appRoleUserID))
	return nil
}

// principal resolves a user, group or service principal id.
func (t *Tenant) principal(id string) (kind, name string, ok bool) {
	if u, ok := t.users.get(id); ok && !strings.Contains(id, "@") {
		return "User", u.DisplayName, true
	}
	if g, ok := t.groups[id]; ok {
		return "Group", g.name, true
	}
	if sp, ok := t.sps[id]; ok {
		return "ServicePrincipal", sp.str("displayName"), true
	}
	return "", "", false
}

func (t *Tenant) newAssignment(sp *object, principalID, kind, name, role string) *assignment {
	var b [32]byte
	if pid, err := uuid.Parse(principalID); err == nil {
		// The id's first 16 bytes are the principal id, little-endian
		// GUID layout, as in Microsoft's examples.
		copy(b[:16], guidLE(pid))
	}
	_, _ = rand.Read(b[16:])
	return &assignment{
		ID: b64url(b[:]), PrincipalID: strings.ToLower(principalID), PrincipalType: kind, PrincipalName: name,
		ResourceID: sp.str("id"), ResourceName: sp.str("displayName"), AppRoleID: role, Created: time.Now().UTC(),
	}
}

func guidLE(u uuid.UUID) []byte {
	b := u
	b[0], b[1], b[2], b[3] = u[3], u[2], u[1], u[0]
	b[4], b[5] = u[5], u[4]
	b[6], b[7] = u[7], u[6]
	return b[:]
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

// listAssignments: GET /servicePrincipals/{id}/appRoleAssignedTo, paged
// ($top ≤ 999, default 100).
func listAssignments(c *call, p params) *graphError {
	q, e := parseQuery(c.r, 100)
	if e != nil {
		return e
	}
	pos, e := q.skipToken()
	if e != nil {
		return e
	}
	c.t.mu.Lock()
	sp := c.t.lookup("servicePrincipals", p["id"], "")
	if sp == nil {
		c.t.mu.Unlock()
		return notFound(p["id"])
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
	for pos.Explicit < len(sp.assigns) && n < q.top {
		add(sp.assigns[pos.Explicit])
		pos.Explicit++
	}
	if sp.seeded {
		for pos.Gen < c.t.gen.n && n < q.top {
			i := pos.Gen
			pos.Gen++
			if a, _ := c.t.gen.access(i); a != AccessDirect {
				continue
			}
			if u, ok := c.t.users.get(c.t.gen.userID(i)); ok {
				add(c.t.generatedAssignment(sp, i, &u))
			}
		}
	}
	more := pos.Explicit < len(sp.assigns) || (sp.seeded && c.t.hasDirectFrom(pos.Gen))
	ctx := c.ctx("servicePrincipals('" + sp.str("id") + "')/appRoleAssignedTo")
	c.t.mu.Unlock()
	c.t.countPage(n)
	c.writePage(listPage{context: ctx, count: -1, items: body, next: nextPos(more, pos)})
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

func isDirect(g *generator, i int) bool {
	a, _ := g.access(i)
	return a == AccessDirect
}

// postAssignment: POST /servicePrincipals/{id}/appRoleAssignedTo
// {principalId, resourceId, appRoleId} → 201.
func postAssignment(c *call, p params) *graphError {
	body, e := c.decodeObject()
	if e != nil {
		return e
	}
	pid, _ := body["principalId"].(string)
	rid, _ := body["resourceId"].(string)
	role, _ := body["appRoleId"].(string)
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	sp := c.t.lookup("servicePrincipals", p["id"], "")
	if sp == nil {
		return notFound(p["id"])
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
