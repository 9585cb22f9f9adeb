package graphsim

import (
	"encoding/json"
	"strings"
	"time"
)

// groupDeltaRoutes: the groups delta query, for membership changes.
func groupDeltaRoutes() []route {
	return []route{
		// Not in the throttling table's list (learn.microsoft.com/graph/throttling-limits):
		// one resource unit.
		{method: "GET", pattern: "/v1.0/groups/delta", handle: groupsDelta, doc: "learn.microsoft.com/graph/api/group-delta"},
	}
}

// memberChange is one entry of the tenant's membership change log.
type memberChange struct {
	seq       uint64
	group, id string
	kind      string
	removed   bool
}

// logMemberChange records a membership change; the caller holds t.mu.
func (t *Tenant) logMemberChange(groupID, memberID, kind string, removed bool) {
	t.memberSeq++
	t.memberLog = append(t.memberLog, memberChange{seq: t.memberSeq, group: groupID, id: memberID, kind: kind, removed: removed})
}

// groupDeltaState is what a groups/delta token carries: the groups the
// round follows (its $filter, encoded into the token as Graph does), the
// membership changes already reported, and the issue time.
type groupDeltaState struct {
	IDs    []string `json:"ids"`
	Since  uint64   `json:"f"`
	Issued int64    `json:"t"`
	Seen   int      `json:"n,omitempty"` // changes of the round served so far
	Until  uint64   `json:"u,omitempty"`
	Init   bool     `json:"i,omitempty"` // a round that lists current members
	Epoch  int      `json:"e,omitempty"` // the tenant's delta epoch at issue (deltaState.Epoch)
}

func (d groupDeltaState) encode() string {
	b, _ := json.Marshal(d)
	return "g" + b64url(b)
}

func decodeGroupDelta(s string) (groupDeltaState, bool) {
	var d groupDeltaState
	raw, err := unb64url(strings.TrimPrefix(s, "g"))
	if !strings.HasPrefix(s, "g") || err != nil || json.Unmarshal(raw, &d) != nil || d.Issued == 0 {
		return groupDeltaState{}, false
	}
	return d, true
}

// groupDeltaPage is how many member changes one page carries (Graph
// documents no number; *unverified*).
const groupDeltaPage = 500

// groupsDelta: GET /groups/delta, as group-delta and the delta query
// overview (learn.microsoft.com/graph/delta-query-overview) document it,
// for membership tracking:
//   - $select=members (or $expand=members, the form the Azure AD Graph
//     migration page shows) reports members@delta: {"@odata.type","id"} per
//     member added and the same with "@removed":{"reason":"deleted"} per
//     member removed; the simulator requires it (it tracks nothing else);
//   - $filter takes only "id eq '…'" joined by or, at most 50 objects
//     ("There is a limit of 50 filtered objects"), else 400;
//   - $top and $orderby are refused (the overview: not supported on users
//     and groups);
//   - $deltatoken=latest answers an empty page with a deltaLink for "now"
//     (learn.microsoft.com/graph/migrate-azure-ad-graph-feature-changes,
//     "Sync from now"); a round from a deltaLink reports the changes since;
//     a round with no token lists each group's current members;
//   - an expired token (7 days, or before Tenant.ExpireDeltaTokens) is
//     answered in the tenant's DeltaExpiry form.
func groupsDelta(c *call, _ params) *graphError {
	q, e := parseQuery(c.r, 100)
	if e != nil {
		return e
	}
	if q.get("top") != "" || q.get("orderby") != "" {
		return unsupportedQuery("$top and $orderby are not supported on a delta request.")
	}
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	now := time.Now()
	var st groupDeltaState
	skip, dtok := q.get("skiptoken"), q.values.Get("$deltatoken")
	if dtok == "" {
		dtok = q.values.Get("$deltaToken")
	}
	switch {
	case skip != "" || (dtok != "" && dtok != "latest"):
		tok := skip
		if tok == "" {
			tok = dtok
		}
		d, ok := decodeGroupDelta(tok)
		if !ok || c.t.expired(deltaState{Issued: d.Issued, Epoch: d.Epoch}, now) {
			return c.t.groupsGone(c)
		}
		st = d
		if skip == "" {
			st.Seen, st.Until = 0, c.t.memberSeq
		}
	default:
		ids, e := groupDeltaFilter(q)
		if e != nil {
			return e
		}
		st = groupDeltaState{IDs: ids, Since: c.t.memberSeq, Until: c.t.memberSeq, Issued: now.UnixMilli(), Epoch: c.t.deltaEpoch}
		// A new round without a token lists the groups' current members.
		st.Init = dtok == ""
		if dtok == "latest" {
			return c.writeGroupDelta(nil, st, false)
		}
	}
	changes := c.t.groupChanges(st)
	end := min(st.Seen+groupDeltaPage, len(changes))
	page := changes[st.Seen:end]
	st.Seen = end
	return c.writeGroupDelta(page, st, end < len(changes))
}

// groupDeltaFilter reads $select/$expand and $filter of a new round.
func groupDeltaFilter(q *query) ([]string, *graphError) {
	if !q.selected("members", false) && !strings.EqualFold(strings.TrimSpace(q.get("expand")), "members") {
		return nil, badRequest("The simulator tracks membership only: ask for $select=members.")
	}
	f := strings.TrimSpace(q.get("filter"))
	if f == "" {
		return nil, nil
	}
	// The same rule as users/delta's (learn.microsoft.com/graph/api/group-delta:
	// $filter with id eq joined by or, up to 50 ids).
	return deltaFilterIDs(f)
}

// groupChanges lists the round's membership changes in order: the log
// entries after st.Since up to st.Until of the followed groups (all groups
// when none is named); a first round (Init) lists the current members
// instead. The caller holds t.mu.
func (t *Tenant) groupChanges(st groupDeltaState) []memberChange {
	follows := func(gid string) bool {
		if len(st.IDs) == 0 {
			return true
		}
		for _, id := range st.IDs {
			if id == gid {
				return true
			}
		}
		return false
	}
	var out []memberChange
	if st.Init {
		for gid, g := range t.groups {
			if !follows(gid) {
				continue
			}
			explicit := g.explicitUsers()
			t.users.scan(cursor{}, "", "", func(u *User, _ string) bool {
				if t.isDirectUser(g, explicit, u.ID) {
					out = append(out, memberChange{group: gid, id: strings.ToLower(u.ID), kind: "user"})
				}
				return true
			})
		}
		return out
	}
	for _, ch := range t.memberLog {
		if ch.seq > st.Since && ch.seq <= st.Until && follows(ch.group) {
			out = append(out, ch)
		}
	}
	return out
}

// writeGroupDelta writes one page: the changes grouped by group, in order.
func (c *call) writeGroupDelta(changes []memberChange, st groupDeltaState, more bool) *graphError {
	var items []byte
	for i := 0; i < len(changes); {
		j := i
		for j < len(changes) && changes[j].group == changes[i].group {
			j++
		}
		if len(items) > 0 {
			items = append(items, ',')
		}
		items = append(items, `{"id":`...)
		items = appendJSONString(items, changes[i].group)
		items = append(items, `,"members@delta":[`...)
		for k, ch := range changes[i:j] {
			if k > 0 {
				items = append(items, ',')
			}
			items = append(items, `{"@odata.type":`...)
			items = appendJSONString(items, "#microsoft.graph."+ch.kind)
			items = append(items, `,"id":`...)
			items = appendJSONString(items, ch.id)
			if ch.removed {
				items = append(items, `,"@removed":{"reason":"deleted"}`...)
			}
			items = append(items, '}')
		}
		items = append(items, "]}"...)
		i = j
	}
	pg := listPage{context: c.ctx("groups"), count: -1, items: items}
	link := c.base + "/" + c.version + "/groups/delta?"
	if more {
		pg.nextRaw = link + "$skiptoken=" + st.encode()
	} else {
		next := groupDeltaState{IDs: st.IDs, Since: st.Until, Issued: time.Now().UnixMilli(), Epoch: c.t.deltaEpoch}
		pg.deltaLink = link + "$deltatoken=" + next.encode()
	}
	c.writePage(pg)
	return nil
}

// groupsGone answers an expired groups/delta token in the tenant's
// DeltaExpiry form (see gone).
func (t *Tenant) groupsGone(c *call) *graphError {
	if t.deltaExpiry == DeltaSyncStateNotFound {
		e := errf(400, "badRequest", "The sync state generation is not found. The delta token is expired and data must be synchronized again.")
		e.inner = "syncStateNotFound"
		return e
	}
	e := errf(410, "syncStateNotFound", "The delta token has expired or is not valid; a full resynchronization is required: follow the Location header.")
	e.header = map[string]string{"Location": c.base + "/" + c.version + "/groups/delta?$select=members&$deltatoken="}
	return e
}
