package graphsim

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// object is an application, service principal or policy: its Graph JSON
// properties plus what the simulator needs beside them.
type object struct {
	props   map[string]any
	created time.Time
	// visibleAt is when the object has replicated (replication delay).
	visibleAt time.Time
	// service principals only
	certs        []*signingCert
	claims       []string       // attached claims mapping policy ids
	claimsPolicy map[string]any // beta customClaimsPolicy, nil when none
	assigns      []*assignment
	seeded       bool // the generator's assignments belong to this SP
	// owners are the object ids owning the application or service
	// principal (owners.go).
	owners []string
}

func (o *object) str(k string) string { s, _ := o.props[k].(string); return s }

// readOnly are properties a PATCH may not set.
var readOnly = map[string]bool{"id": true, "appid": true, "createddatetime": true, "publisherdomain": true,
	"appownerorganizationid": true, "applicationtemplateid": true, "deleteddatetime": true, "serviceprincipaltype": true,
	"keycredentials": true, "passwordcredentials": true, "serviceprincipalnames": false}

// mergePatch applies a partial update: complex values merge, the rest
// (collections included) replace. @odata.* annotations are ignored.
func mergePatch(dst, patch map[string]any, typeName string) error {
	for k, v := range patch {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		key := ""
		for dk := range dst {
			if strings.EqualFold(dk, k) {
				key = dk
			}
		}
		if key == "" {
			return badRequest("The property '%s' does not exist on type '%s'. Make sure to only use property names that are defined by the type or mark the type as open type.", k, typeName)
		}
		if readOnly[strings.ToLower(key)] {
			return badRequest("Property '%s' is read-only and cannot be set.", key)
		}
		if vm, ok := v.(map[string]any); ok {
			if cur, ok := dst[key].(map[string]any); ok {
				if err := mergePatch(cur, vm, typeName+"."+key); err != nil {
					return err
				}
				continue
			}
			clean := map[string]any{}
			for kk, vv := range vm {
				if !strings.HasPrefix(kk, "@odata.") {
					clean[kk] = vv
				}
			}
			dst[key] = clean
			continue
		}
		dst[key] = v
	}
	return nil
}

// lookup finds an application or service principal by id or appId.
// find is lookup answering Graph's 404 (naming the key asked for) when the
// object does not exist. The caller holds t.mu.
func (t *Tenant) find(kind, id, appID string) (*object, *graphError) {
	if o := t.lookup(kind, id, appID); o != nil {
		return o, nil
	}
	if appID != "" {
		return nil, notFound(appID)
	}
	return nil, notFound(id)
}

func (t *Tenant) lookup(kind, id, appID string) *object {
	m := t.apps
	if kind == "servicePrincipals" {
		m = t.sps
	}
	var o *object
	if appID != "" {
		for _, x := range m {
			if strings.EqualFold(x.str("appId"), appID) {
				o = x
			}
		}
	} else {
		o = m[strings.ToLower(id)]
	}
	if !visible(o) {
		return nil
	}
	return o
}

// renderSP returns the SP's properties with keyCredentials and
// passwordCredentials from its certificates; keys are null unless withKey.
func (t *Tenant) renderSP(sp *object, withKey bool) map[string]any {
	p := cloneProps(sp.props)
	keys, pwds := []any{}, []any{}
	for _, c := range sp.certs {
		k, pw := c.credentials(withKey)
		keys = append(keys, k...)
		pwds = append(pwds, pw)
	}
	p["keyCredentials"], p["passwordCredentials"] = keys, pwds
	return p
}

func typeName(kind string) string {
	if kind == "applications" {
		return "microsoft.graph.application"
	}
	return "microsoft.graph.servicePrincipal"
}

var (
	propNamesOnce sync.Once
	propNames     map[string]map[string]bool // kind -> lower-case property names
)

// checkSelect refuses a $select naming a property the type does not have,
// as Graph does.
func checkSelect(kind string, sel []string) *graphError {
	propNamesOnce.Do(func() {
		scratch := NewTenant()
		app, sp := scratch.instantiate(domain.NonGalleryTemplateID, "x", time.Time{})
		propNames = map[string]map[string]bool{"applications": {}, "servicePrincipals": {}}
		for k := range app.props {
			propNames["applications"][strings.ToLower(k)] = true
		}
		for k := range scratch.renderSP(sp, false) {
			propNames["servicePrincipals"][strings.ToLower(k)] = true
		}
	})
	for _, p := range sel {
		if !propNames[kind][strings.ToLower(p)] {
			return errf(400, "Request_BadRequest", "Could not find a property named '%s' on type '%s'.", p, typeName(kind))
		}
	}
	return nil
}

// getObject: GET /applications/{id}, /applications(appId='…') and the same
// for servicePrincipals.
func getObject(kind string) func(*call, params) *graphError {
	return func(c *call, p params) *graphError { return getObjectOf(c, kind, p["id"], p["appId"]) }
}

func getObjectOf(c *call, kind, id, appID string) *graphError {
	q, e := parseQuery(c.r, 0)
	if e != nil {
		return e
	}
	if e := checkSelect(kind, q.sel); e != nil {
		return e
	}
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	o, e := c.t.find(kind, id, appID)
	if e != nil {
		return e
	}
	var props map[string]any
	if kind == "servicePrincipals" {
		props = c.t.renderSP(o, q.selected("keyCredentials", false))
	} else {
		props = cloneProps(o.props)
	}
	out := q.project(props)
	out["@odata.context"] = c.ctx(kind + q.selectSuffix() + "/$entity")
	writeJSON(c.w, 200, out)
	return nil
}

// listObjects: GET /applications or /servicePrincipals with $filter,
// $select, $top and @odata.nextLink paging (stable order by creation).
func listObjects(kind string) func(*call, params) *graphError {
	return func(c *call, _ params) *graphError { return listObjectsOf(c, kind) }
}

func listObjectsOf(c *call, kind string) *graphError {
	q, e := parseQuery(c.r, 100)
	if e != nil {
		return e
	}
	if e := checkSelect(kind, q.sel); e != nil {
		return e
	}
	var f *node
	if s := q.get("filter"); s != "" {
		n, err := parseFilter(s)
		if err != nil {
			return badRequest("Invalid filter clause: %s", err.Error())
		}
		if e := checkFilter(n, objectFilters, typeName(kind)[len("microsoft.graph."):], advanced(c.r, q)); e != nil {
			return e
		}
		f = n
	}
	pos, e := q.skipToken()
	if e != nil {
		return e
	}
	skip := pos.Explicit
	c.t.mu.Lock()
	m := c.t.apps
	if kind == "servicePrincipals" {
		m = c.t.sps
	}
	var list []*object
	for _, o := range m {
		if visible(o) {
			list = append(list, o)
		}
	}
	slices.SortFunc(list, func(a, b *object) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.str("id"), b.str("id"))
	})
	var matched []map[string]any
	for _, o := range list {
		if f != nil && !eval(f, func(p string) any { return propCI(o.props, p) }) {
			continue
		}
		props := o.props
		if kind == "servicePrincipals" {
			props = c.t.renderSP(o, false)
		}
		matched = append(matched, q.project(props))
	}
	c.t.mu.Unlock()
	pg := listPage{context: c.ctx(kind + q.selectSuffix()), count: -1}
	if q.count && advanced(c.r, q) {
		pg.count = len(matched)
	}
	end := min(skip+q.top, len(matched))
	if skip < len(matched) {
		pg.items = jsonItems(matched[skip:end])
	}
	if end < len(matched) {
		pg.next = &pageToken{Explicit: end}
	}
	c.t.countPage(0)
	c.writePage(pg)
	return nil
}

// propCI reads a property case-insensitively.
func propCI(m map[string]any, p string) any {
	if v, ok := m[p]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, p) {
			return v
		}
	}
	return nil
}

// patchObject: PATCH /applications/{id} (identifier-URI checks and
// policy) or /servicePrincipals/{id}; 204 No Content.
func patchObject(kind string) func(*call, params) *graphError {
	return func(c *call, p params) *graphError { return patchObjectOf(c, kind, p["id"], p["appId"]) }
}

func patchObjectOf(c *call, kind, id, appID string) *graphError {
	body, e := c.decodeObject()
	if e != nil {
		return e
	}
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	o, e := c.t.find(kind, id, appID)
	if e != nil {
		return e
	}
	// Apply to a copy first so a refused patch changes nothing.
	next := deepCopy(o.props).(map[string]any)
	if err := mergePatch(next, body, typeName(kind)); err != nil {
		if ge, ok := err.(*graphError); ok {
			return ge
		}
		return badRequest("%s", err.Error())
	}
	if kind == "applications" {
		// The policy sees the patched app: a PATCH that sets
		// api.requestedAccessTokenVersion 2 with the URI is exempt.
		if e := c.t.checkIdentifierURIs(o, next, body); e != nil {
			return e
		}
	} else if e := checkSPPatch(o, body); e != nil {
		return e
	}
	o.props = next
	if kind == "applications" {
		c.t.syncSPNames(o)
		if sp := c.t.spByAppID(o.str("appId")); sp != nil {
			if web, ok := o.props["web"].(map[string]any); ok {
				sp.props["replyUrls"] = web["redirectUris"]
			}
		}
	}
	c.w.WriteHeader(204)
	return nil
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

// visible reports whether o exists and has replicated.
func visible(o *object) bool {
	return o != nil && !time.Now().Before(o.visibleAt)
}

func (t *Tenant) spByAppID(appID string) *object {
	for _, sp := range t.sps {
		if strings.EqualFold(sp.str("appId"), appID) {
			return sp
		}
	}
	return nil
}

func (t *Tenant) appByAppID(appID string) *object {
	for _, a := range t.apps {
		if strings.EqualFold(a.str("appId"), appID) {
			return a
		}
	}
	return nil
}

func strs(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = append(out, x...)
	}
	return out
}

func cloneProps(m map[string]any) map[string]any { return maps.Clone(m) }
