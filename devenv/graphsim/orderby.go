package graphsim

import (
	"slices"
	"strings"
)

// byDisplayName reports whether /users is asked for in displayName order
// ($orderby=displayName [asc|desc], which the sorting table of
// learn.microsoft.com/graph/aad-advanced-queries allows by default) and
// whether descending.
func byDisplayName(q *query) (ok, desc bool) {
	ob := strings.ToLower(strings.TrimSpace(q.get("orderby")))
	prop, dir, _ := strings.Cut(ob, " ")
	return prop == "displayname", strings.TrimSpace(dir) == "desc"
}

// sortedUser is a user with its displayName sort key.
type sortedUser struct {
	key string // lower-case displayName
	u   User
}

func cmpSorted(a, b sortedUser, desc bool) int {
	c := strings.Compare(a.key, b.key)
	if c == 0 {
		c = strings.Compare(a.u.ID, b.u.ID)
	}
	if desc {
		return -c
	}
	return c
}

// usersByDisplayName collects the page of users after the skip token's
// position in displayName order (then id), at most top, and whether more
// follow. It scans the whole tenant (fine at the sizes tests sort); the
// caller holds t.mu.
func (t *Tenant) usersByDisplayName(after pageToken, top int, desc bool, match func(*User) bool) ([]sortedUser, bool) {
	var page []sortedUser
	cur := sortedUser{key: after.Key, u: User{ID: after.ID}}
	t.users.scan(cursor{}, "", "", func(u *User, _ string) bool {
		s := sortedUser{key: strings.ToLower(u.DisplayName), u: *u}
		if (after.ID != "" && cmpSorted(s, cur, desc) <= 0) || !match(u) {
			return true
		}
		page = append(page, s)
		if len(page) > 4*(top+1) {
			slices.SortFunc(page, func(a, b sortedUser) int { return cmpSorted(a, b, desc) })
			page = page[:top+1]
		}
		return true
	})
	slices.SortFunc(page, func(a, b sortedUser) int { return cmpSorted(a, b, desc) })
	if len(page) > top {
		return page[:top], true
	}
	return page, false
}

// listUsersByDisplayName writes one /users page in displayName order.
func (c *call) listUsersByDisplayName(q *query, fields []*userField, match func(*User) bool, expand bool, expandSel []string, desc bool) *graphError {
	pos, e := q.skipToken()
	if e != nil {
		return e
	}
	bb := getBuf()
	body := (*bb)[:0]
	defer func() { putBuf(bb, body) }()
	c.t.mu.Lock()
	page, more := c.t.usersByDisplayName(pos, q.top, desc, match)
	for i := range page {
		if i > 0 {
			body = append(body, ',')
		}
		body = appendUser(body, &page[i].u, fields, false, false, "")
		if expand {
			body = c.t.appendMemberOf(body, page[i].u.ID, expandSel)
		}
	}
	c.t.mu.Unlock()
	var last pageToken
	if len(page) > 0 {
		last = pageToken{Key: page[len(page)-1].key, ID: page[len(page)-1].u.ID}
	}
	c.t.countPage(len(page))
	c.writePage(listPage{context: c.ctx("users" + q.selectSuffix()), count: -1, items: body, next: nextPos(more, last)})
	return nil
}
