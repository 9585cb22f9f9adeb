package graphsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// ownerRoutes: the owners of applications and service principals
// (directory object references).
func ownerRoutes() []route {
	const api = "learn.microsoft.com/graph/api/"
	return []route{
		{method: "GET", pattern: "/v1.0/applications/{id}/owners", handle: listOwners("applications"), doc: api + "application-list-owners"},
		{method: "POST", pattern: "/v1.0/applications/{id}/owners/$ref", handle: addOwnerRef("applications"), doc: api + "application-post-owners"},
		{method: "GET", pattern: "/v1.0/servicePrincipals/{id}/owners", handle: listOwners("servicePrincipals"), doc: api + "serviceprincipal-list-owners"},
		{method: "POST", pattern: "/v1.0/servicePrincipals/{id}/owners/$ref", handle: addOwnerRef("servicePrincipals"), doc: api + "serviceprincipal-post-owners"},
	}
}

// callerClaims reads the oid and roles of the request's bearer token (the
// simulator issued it; authorize has checked it).
func callerClaims(r *http.Request) (oid string, roles []string) {
	_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		return "", nil
	}
	raw, err := unb64url(parts[1])
	var c struct {
		OID   string   `json:"oid"`
		Roles []string `json:"roles"`
	}
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return "", nil
	}
	return c.OID, c.Roles
}

// listOwners: GET /{kind}/{id}/owners → the owners as directoryObjects
// (servicePrincipal or user), one page.
func listOwners(kind string) func(c *call, p params) *graphError {
	return func(c *call, p params) *graphError {
		c.t.mu.Lock()
		o := c.t.lookup(kind, p["id"], "")
		if o == nil {
			c.t.mu.Unlock()
			return notFound(p["id"])
		}
		var vals []map[string]any
		for _, id := range o.owners {
			vals = append(vals, map[string]any{"@odata.type": "#microsoft.graph.servicePrincipal", "id": id})
		}
		c.t.mu.Unlock()
		c.writePage(listPage{context: c.ctx("directoryObjects"), count: -1, items: jsonItems(vals)})
		return nil
	}
}

// addOwnerRef: POST /{kind}/{id}/owners/$ref {"@odata.id": ".../directoryObjects/{id}"}
// → 204. "Application.ReadWrite.OwnedBy isn't sufficient to add another
// owner. Consent also to Application.ReadWrite.All"
// (learn.microsoft.com/graph/api/application-post-owners): a token without
// Application.ReadWrite.All is refused with 403. An existing owner is 400,
// as Graph answers "One or more added object references already exist".
func addOwnerRef(kind string) func(c *call, p params) *graphError {
	return func(c *call, p params) *graphError {
		body, e := c.decodeObject()
		if e != nil {
			return e
		}
		if _, roles := callerClaims(c.r); !slices.Contains(roles, "Application.ReadWrite.All") {
			return errf(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		}
		ref, _ := body["@odata.id"].(string)
		i := strings.LastIndex(ref, "/directoryObjects/")
		if i < 0 {
			return badRequest("Invalid object identifier '%s'.", ref)
		}
		id := strings.ToLower(ref[i+len("/directoryObjects/"):])
		c.t.mu.Lock()
		defer c.t.mu.Unlock()
		o := c.t.lookup(kind, p["id"], "")
		if o == nil {
			return notFound(p["id"])
		}
		if slices.Contains(o.owners, id) {
			return badRequest("One or more added object references already exist for the following modified properties: 'owners'.")
		}
		o.owners = append(o.owners, id)
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// SetOwners replaces the owners of the application with appID and of its
// service principal (tests: an app someone else registered and owns).
func (t *Tenant) SetOwners(appID string, owners ...string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	app, sp := t.appByAppID(appID), t.spByAppID(appID)
	if app == nil || sp == nil {
		return fmt.Errorf("graphsim: no app %s", appID)
	}
	app.owners, sp.owners = slices.Clone(owners), slices.Clone(owners)
	return nil
}

// Owners returns the owners of the application with appID and of its
// service principal.
func (t *Tenant) Owners(appID string) (app, sp []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if a := t.appByAppID(appID); a != nil {
		app = slices.Clone(a.owners)
	}
	if s := t.spByAppID(appID); s != nil {
		sp = slices.Clone(s.owners)
	}
	return app, sp
}

// CallerObjectID is the object id (oid) the simulator's tokens carry: the
// identity every test client runs as.
const CallerObjectID = simAppID

// afterFaults answer a status after the request was carried out (the
// request did happen: a 504 from a gateway that timed out waiting for it).
type afterFaults struct {
	mu    sync.Mutex
	rules []failRule
}

// FailAfter makes the next n Graph requests that match (nil: any) be
// carried out and then answered with status instead of their answer: a
// write whose outcome the client cannot know (Graph's 504 Gateway Timeout
// "the gateway timed out"; learn.microsoft.com/graph/errors).
func (t *Tenant) FailAfter(n, status int, match func(*http.Request) bool) {
	t.after.mu.Lock()
	defer t.after.mu.Unlock()
	t.after.rules = append(t.after.rules, failRule{status: status, n: n, match: match})
}

// takeAfter returns the status of the first matching after-fault (0: none).
func (t *Tenant) takeAfter(r *http.Request) int {
	t.after.mu.Lock()
	defer t.after.mu.Unlock()
	for i := range t.after.rules {
		rule := &t.after.rules[i]
		if rule.n > 0 && (rule.match == nil || rule.match(r)) {
			rule.n--
			return rule.status
		}
	}
	return 0
}

// discardWriter takes a handler's answer that an after-fault replaces.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// Pin is the pinned-app record provision keeps for this app (tests hand it
// to the adapters that resolve the app by its pin).
func (a AppInfo) Pin() domain.PinnedApp {
	return domain.PinnedApp{AppID: strings.ToLower(a.AppID), ObjectID: a.ObjectID, ServicePrincipalID: a.SPID, Origin: domain.PinCreated}
}

// PinFunc returns a domain.PinnedAppFunc that answers this app's pin.
func (a AppInfo) PinFunc() domain.PinnedAppFunc {
	return func(context.Context) (domain.PinnedApp, error) { return a.Pin(), nil }
}

// Caller returns CallerObjectID: the owner identity of the simulator's
// clients (an Owner func for the adapters).
func Caller(context.Context) (string, error) { return CallerObjectID, nil }

// FirstAppPin is a domain.PinnedAppFunc answering the pin of the tenant's
// first app (the generated "Aircall" one), ENOTFOUND when it has none.
func (t *Tenant) FirstAppPin(context.Context) (domain.PinnedApp, error) {
	apps := t.Apps()
	if len(apps) == 0 {
		return domain.PinnedApp{}, domain.NotPinned("")
	}
	return apps[0].Pin(), nil
}

// DeleteApp deletes the application with appID and its service principal
// (an administrator removing an app).
func (t *Tenant) DeleteApp(appID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	app, sp := t.appByAppID(appID), t.spByAppID(appID)
	if app == nil {
		return fmt.Errorf("graphsim: no app %s", appID)
	}
	delete(t.apps, app.str("id"))
	if sp != nil {
		delete(t.sps, sp.str("id"))
	}
	return nil
}
