package graphsim

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// deltaRoutes: the users delta query.
func deltaRoutes() []route {
	return []route{
		{method: "GET", pattern: "/v1.0/users/delta", handle: usersDelta, doc: "learn.microsoft.com/graph/api/user-delta"},
	}
}

// deltaPageSize is the page size of users/delta, also the most Prefer:
// odata.maxpagesize can ask (a Microsoft answer on Q&A: 200 for objects such
// as users, larger values are capped; *unverified* in the reference docs).
const deltaPageSize = 200

// deltaState is what a delta skip or delta token carries: the options of
// the round live in the token, as in Graph.
type deltaState struct {
	Sel    []string `json:"s,omitempty"`
	Since  uint64   `json:"f"`           // changes after this sequence number
	Until  uint64   `json:"u"`           // round snapshot (changes up to it)
	Issued int64    `json:"t"`           // unix milliseconds
	Init   bool     `json:"i,omitempty"` // initial round (full listing)
	Key    string   `json:"k,omitempty"` // initial round: last key served
	ID     string   `json:"d,omitempty"`
	After  uint64   `json:"a,omitempty"` // change round: last seq served
	IDs    []string `json:"n,omitempty"` // $filter=id eq … (rules.go, deltaFilterIDs)
	// Epoch is the tenant's delta epoch when the token was issued: a token
	// of an earlier epoch was issued before Tenant.ExpireDeltaTokens (a
	// counter, not a clock, so a token issued in the same millisecond as
	// the expiry is still told apart).
	Epoch int `json:"e,omitempty"`
}

// wants reports whether the round covers user id (all without a filter).
func (d *deltaState) wants(id string) bool {
	return len(d.IDs) == 0 || slices.Contains(d.IDs, strings.ToLower(id))
}

// deltaPageLimit is the page size: deltaPageSize, or less when the
// request's Prefer: odata.maxpagesize asks for less.
func deltaPageLimit(r *http.Request) int {
	page := deltaPageSize
	if p := r.Header.Get("Prefer"); strings.Contains(p, "odata.maxpagesize=") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(strings.SplitN(p, "odata.maxpagesize=", 2)[1], ",", 2)[0]))
		if err == nil && n > 0 {
			page = min(n, deltaPageSize)
		}
	}
	return page
}

// token is the state as a delta token: the one page token (paging.go)
// holding it.
func (d deltaState) token() string { return pageToken{Delta: &d}.encode() }

func decodeDelta(s string) (deltaState, bool) {
	p, ok := decodePageToken(s)
	if !ok || p.Delta == nil || p.Delta.Issued == 0 {
		return deltaState{}, false
	}
	return *p.Delta, true
}

// usersDelta: GET /users/delta.
//
// The first round lists every user (pages of @odata.nextLink, then an
// @odata.deltaLink); a round started from a deltaLink returns only the
// users whose selected properties changed since, and deleted users as
// {"id":…,"@removed":{"reason":"changed"}}. $deltatoken=latest returns
// just a deltaLink for "now". $top is ignored (as users report Graph
// does), $expand and $orderby are refused, $filter takes only id eq terms
// joined by or (rules.go, deltaFilterIDs). A token issued before Tenant.ExpireDeltaTokens, older than 7
// days, or unreadable answers 410 Gone with a Location to start over.
func usersDelta(c *call, _ params) *graphError {
	q, e := parseQuery(c.r, deltaPageSize)
	if e != nil {
		return e
	}
	for _, k := range []string{"expand", "orderby"} {
		if q.get(k) != "" {
			return unsupportedQuery("Unsupported query option '$%s' on a delta request.", k)
		}
	}
	var ids []string
	if f := q.get("filter"); f != "" {
		if ids, e = deltaFilterIDs(f); e != nil {
			return e
		}
	}
	page := deltaPageLimit(c.r)
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	now := time.Now()
	var st deltaState
	skip, dtok := q.get("skiptoken"), q.values.Get("$deltatoken")
	if dtok == "" {
		dtok = q.values.Get("$deltaToken")
	}
	switch {
	case skip != "":
		d, ok := decodeDelta(skip)
		if !ok || c.t.expired(d, now) {
			return c.t.gone(c, d)
		}
		st = d
	case dtok == "latest":
		return c.writeDelta(nil, deltaState{Sel: q.sel, Since: c.t.users.seq, Issued: now.UnixMilli(), IDs: ids, Epoch: c.t.deltaEpoch}, false)
	case dtok != "":
		d, ok := decodeDelta(dtok)
		if !ok || c.t.expired(d, now) {
			return c.t.gone(c, d)
		}
		st = deltaState{Sel: d.Sel, Since: d.Since, Until: c.t.users.seq, Issued: d.Issued, After: d.Since, IDs: d.IDs, Epoch: d.Epoch}
	default:
		st = deltaState{Sel: q.sel, Until: c.t.users.seq, Issued: now.UnixMilli(), Init: true, IDs: ids, Epoch: c.t.deltaEpoch}
	}
	fields, e := userSelection(st.Sel)
	if e != nil {
		return e
	}
	items, n, more := c.t.deltaPage(&st, fields, page)
	c.t.countPage(n)
	if more {
		return c.writeDelta(items, st, true)
	}
	final := deltaState{Sel: st.Sel, Since: st.Until, Issued: now.UnixMilli(), IDs: st.IDs, Epoch: c.t.deltaEpoch}
	return c.writeDelta(items, final, false)
}

// deltaPage collects up to page items of the round st (advancing st past
// them): every user in key order in the initial round, else the changed
// and deleted users in change order. The caller holds t.mu.
func (t *Tenant) deltaPage(st *deltaState, fields []*userField, page int) (items []byte, n int, more bool) {
	if st.Init {
		t.users.scan(cursor{key: st.Key, id: st.ID}, "", "", func(u *User, key string) bool {
			if !st.wants(u.ID) {
				st.Key, st.ID = key, u.ID
				return true
			}
			if n == page {
				more = true
				return false
			}
			if n > 0 {
				items = append(items, ',')
			}
			items = appendUser(items, u, fields, true, true, "")
			n++
			st.Key, st.ID = key, u.ID
			return true
		})
	} else {
		var recs []*userRec
		t.users.each(func(r *userRec) {
			if r.seq > st.After && r.seq <= st.Until && st.wants(r.u.ID) && t.reportable(r, st.Since, fields) {
				recs = append(recs, r)
			}
		})
		slices.SortFunc(recs, func(a, b *userRec) int { return int(a.seq) - int(b.seq) })
		for _, r := range recs {
			if n == page {
				more = true
				break
			}
			if n > 0 {
				items = append(items, ',')
			}
			if r.deleted {
				items = append(items, `{"id":`...)
				items = appendJSONString(items, r.u.ID)
				items = append(items, `,"@removed":{"reason":"changed"}}`...)
			} else {
				items = appendUser(items, &r.u, fields, true, true, "")
			}
			n++
			st.After = r.seq
		}
	}
	return items, n, more
}

// reportable: a deleted user, a user created since, or a change to a
// selected property since `since`.
func (t *Tenant) reportable(r *userRec, since uint64, fields []*userField) bool {
	if r.deleted {
		return r.deletedSeq > since && (r.createdSeq == 0 || r.createdSeq <= since)
	}
	if r.createdSeq > since {
		return true
	}
	for _, f := range fields {
		if r.fieldSeq[userFieldIndex(f.name)] > since {
			return true
		}
	}
	return false
}

// writeDelta writes a page of a delta round: a nextLink holding st while
// more follows, else the deltaLink that starts the next round from st.
func (c *call) writeDelta(items []byte, st deltaState, more bool) *graphError {
	pg := listPage{context: c.ctx("users" + selSuffix(st.Sel)), count: -1, items: items}
	if more {
		pg.next = &pageToken{Delta: &st}
	} else {
		pg.deltaLink = c.base + "/" + c.version + "/users/delta?$deltatoken=" + st.token()
	}
	c.writePage(pg)
	return nil
}

func selSuffix(sel []string) string {
	if len(sel) == 0 {
		return ""
	}
	return "(" + strings.Join(sel, ",") + ")"
}

func (t *Tenant) expired(d deltaState, now time.Time) bool {
	return d.Epoch < t.deltaEpoch || now.Sub(time.UnixMilli(d.Issued)) > t.deltaTTL
}

// DeltaExpiry is how the simulator answers a delta token it no longer
// honours. Graph documents two forms (learn.microsoft.com/graph/delta-query-overview):
// "Synchronization reset", a 410 Gone with a Location that restarts the
// round, and "Token duration", a 40X-series error with codes such as
// syncStateNotFound — which, per learn.microsoft.com/graph/errors, may sit
// in a nested innerError. Clients must recognise both.
type DeltaExpiry string

// The forms of an expired-token answer.
const (
	// DeltaGone answers 410 Gone with a Location (the default).
	DeltaGone DeltaExpiry = "gone"
	// DeltaSyncStateNotFound answers 400 badRequest whose innerError code
	// is syncStateNotFound.
	DeltaSyncStateNotFound DeltaExpiry = "syncStateNotFound"
)

// SetDeltaExpiry chooses how expired delta tokens are answered.
func (t *Tenant) SetDeltaExpiry(form DeltaExpiry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.deltaExpiry = form
}

// gone answers an expired or unknown token in the tenant's DeltaExpiry
// form: by default 410 with a Location that starts a new full round.
func (t *Tenant) gone(c *call, d deltaState) *graphError {
	if t.deltaExpiry == DeltaSyncStateNotFound {
		e := errf(400, "badRequest", "The sync state generation is not found. The delta token is expired and data must be synchronized again.")
		e.inner = "syncStateNotFound"
		return e
	}
	loc := c.base + "/" + c.version + "/users/delta?"
	if len(d.Sel) > 0 {
		loc += "$select=" + url.QueryEscape(strings.Join(d.Sel, ",")) + "&"
	}
	loc += "$deltatoken="
	e := errf(410, "syncStateNotFound", "The delta token has expired or is not valid; a full resynchronization is required: follow the Location header.")
	e.header = map[string]string{"Location": loc}
	return e
}
