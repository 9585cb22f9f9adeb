package graphsim

import (
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// PolicyMode is the tenant's identifier-URI policy (notes §3).
type PolicyMode string

// The identifier-URI policy modes.
const (
	// PolicyOff accepts any well-formed identifier URI.
	PolicyOff PolicyMode = "off"
	// PolicyDefault refuses a new URI that holds no verified domain, tenant
	// id or app id, unless the app's service principal is in SAML mode or
	// the app's api.requestedAccessTokenVersion is 2
	// (uriAdditionWithoutUniqueTenantIdentifier, Microsoft-enabled).
	PolicyDefault PolicyMode = "default"
	// PolicyStrict refuses every new URI that is not api://{appId} or
	// api://{tenantId}/{appId} (nonDefaultUriAddition), SAML or not.
	PolicyStrict PolicyMode = "strict"
)

// Tenant is one simulated directory and the simulator's behaviour knobs.
// Every method is safe for concurrent use; tests call them while requests
// are being served.
type Tenant struct {
	mu     sync.Mutex
	id     string
	gen    *generator
	users  *userStore
	apps   map[string]*object // applications by object id
	sps    map[string]*object // service principals by object id
	groups map[string]*group
	// claims mapping policies by id
	policies    map[string]*object
	policyMode  PolicyMode
	replication time.Duration
	// deltaCutoff: delta tokens issued before it answer 410.
	deltaCutoff time.Time
	deltaTTL    time.Duration
	// failApplicationPatch: the next n PATCHes of an application that set
	// identifierUris answer 400.
	failAppPatch int

	behaviour
}

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
}

func (o *object) str(k string) string { s, _ := o.props[k].(string); return s }

type group struct {
	id, name  string
	members   []member // explicit members
	generated bool     // the generator adds members lazily
	nested    string   // a nested group (generated)
}

type member struct{ id, kind string } // kind: user, group, servicePrincipal

type assignment struct {
	ID, PrincipalID, PrincipalType, PrincipalName, ResourceID, ResourceName, AppRoleID string
	Created                                                                            time.Time
}

// NewTenant returns an empty tenant (no users) with a random id.
func NewTenant() *Tenant { return GenerateTenant(0, 0, Mix{}) }

// GenerateTenant returns a tenant of size users derived from seed: the same
// seed, size and mix always give the same users, ids, groups and
// assignments. Users are generated on demand from their index, so a
// 1,000,000-user tenant costs only what tests change. The tenant id is
// derived from the seed too.
func GenerateTenant(seed int64, size int, mix Mix) *Tenant {
	t := &Tenant{
		apps: map[string]*object{}, sps: map[string]*object{}, groups: map[string]*group{},
		policies: map[string]*object{}, policyMode: PolicyOff, deltaTTL: 7 * 24 * time.Hour,
	}
	t.behaviour.init(seed)
	tmp := &generator{seed: seed}
	t.id = tmp.guid(uint64(seed), 0x7465) // "te"
	t.gen = newGenerator(seed, size, mix, t.id)
	t.users = newUserStore(t.gen)
	for k, gid := range t.gen.groups {
		g := &group{id: gid, name: fmt.Sprintf("Aircall Users %d", k+1), generated: true}
		if k == 0 {
			g.nested = t.gen.nested
		}
		t.groups[gid] = g
	}
	if t.gen.nested != "" {
		t.groups[t.gen.nested] = &group{id: t.gen.nested, name: "Aircall Nested", generated: true}
	}
	if mix.App || mix.DirectAssigned > 0 || mix.GroupAssigned > 0 {
		info := t.CreateApp("Aircall")
		if err := t.ConfigureAircallApp(info.AppID); err != nil {
			panic("graphsim: configure the seeded app: " + err.Error())
		}
		t.mu.Lock()
		sp := t.sps[info.SPID]
		sp.seeded = true
		for _, gid := range t.gen.groups {
			sp.assigns = append(sp.assigns, t.newAssignment(sp, gid, "Group", t.groups[gid].name, appRoleUserID))
		}
		t.mu.Unlock()
	}
	return t
}

// ID is the tenant (directory) id.
func (t *Tenant) ID() string { return t.id }

// Domain is the tenant's verified domain (members' UPN suffix).
func (t *Tenant) Domain() string { return t.gen.domain }

// InitialDomain is the tenant's onmicrosoft.com domain (guests' UPN suffix).
func (t *Tenant) InitialDomain() string { return t.gen.tenant }

// Size is the number of generated users (before changes).
func (t *Tenant) Size() int { return t.gen.n }

// Truth returns the ground truth of generated user i (0 <= i < Size()).
func (t *Tenant) Truth(i int) Truth { return t.gen.truth(i) }

// EachTruth calls fn for every generated user in index order until fn
// returns false. It reflects the generator, not later changes.
func (t *Tenant) EachTruth(fn func(Truth) bool) {
	for i := 0; i < t.gen.n; i++ {
		if !fn(t.gen.truth(i)) {
			return
		}
	}
}

// UserCount is the number of live users.
func (t *Tenant) UserCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.users.count
}

// User returns the live user with this id or UPN.
func (t *Tenant) User(idOrUPN string) (User, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.users.get(idOrUPN)
}

// EachUser calls fn for every live user in the order /users serves them,
// until fn returns false. Do not call other Tenant methods from fn.
func (t *Tenant) EachUser(fn func(User) bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.users.scan(cursor{}, "", "", func(u *User, _ string) bool { return fn(*u) })
}

// AddUser adds a user (an id is generated when empty) and returns it.
// Without a UserType the user is a Member; AccountEnabled is taken as given.
func (t *Tenant) AddUser(u User) User {
	t.mu.Lock()
	defer t.mu.Unlock()
	if u.ID == "" {
		u.ID = uuid.NewString()
	}
	u.ID = strings.ToLower(u.ID)
	if u.UserType == "" {
		u.UserType = "Member"
	}
	if u.DisplayName == "" {
		u.DisplayName = strings.SplitN(u.UserPrincipalName, "@", 2)[0]
	}
	t.users.add(u)
	return u
}

// UpdateUser changes the user with id (a change delta reports).
func (t *Tenant) UpdateUser(id string, f func(*User)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.users.update(id, f) {
		return fmt.Errorf("graphsim: no user %s", id)
	}
	return nil
}

// DeleteUser removes the user with id (delta reports it as @removed).
func (t *Tenant) DeleteUser(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.users.remove(id) {
		return fmt.Errorf("graphsim: no user %s", id)
	}
	return nil
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

// AppInfo identifies one application and its service principal.
type AppInfo struct {
	ObjectID    string   `json:"objectId"`
	AppID       string   `json:"appId"`
	SPID        string   `json:"servicePrincipalId"`
	DisplayName string   `json:"displayName"`
	Tags        []string `json:"tags"`
}

// Apps lists the applications of the tenant (with their service
// principal), ordered by creation.
func (t *Tenant) Apps() []AppInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	var list []*object
	for _, a := range t.apps {
		list = append(list, a)
	}
	slices.SortFunc(list, func(a, b *object) int { return a.created.Compare(b.created) })
	var out []AppInfo
	for _, a := range list {
		info := AppInfo{ObjectID: a.str("id"), AppID: a.str("appId"), DisplayName: a.str("displayName"), Tags: strs(a.props["tags"])}
		if sp := t.spByAppID(info.AppID); sp != nil {
			info.SPID = sp.str("id")
		}
		out = append(out, info)
	}
	return out
}

// CreateApp instantiates the non-gallery template, as POST
// applicationTemplates/{id}/instantiate does (without replication delay).
func (t *Tenant) CreateApp(displayName string) AppInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	app, sp := t.instantiate(domain.NonGalleryTemplateID, displayName, time.Time{})
	return AppInfo{ObjectID: app.str("id"), AppID: app.str("appId"), SPID: sp.str("id"), DisplayName: displayName}
}

// PatchApplication applies a Graph-shaped partial update to the application
// with this object id, bypassing the identifier-URI policy (an admin's
// exemption or a portal edit).
func (t *Tenant) PatchApplication(objectID string, patch map[string]any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	a, ok := t.apps[objectID]
	if !ok {
		return fmt.Errorf("graphsim: no application %s", objectID)
	}
	next := deepCopy(a.props).(map[string]any) // copy-on-write: encoders may hold the old maps
	if err := mergePatch(next, patch, "microsoft.graph.application"); err != nil {
		return err
	}
	a.props = next
	t.syncSPNames(a)
	return nil
}

// PatchServicePrincipal applies a Graph-shaped partial update to the
// service principal with this object id.
func (t *Tenant) PatchServicePrincipal(spID string, patch map[string]any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	sp, ok := t.sps[spID]
	if !ok {
		return fmt.Errorf("graphsim: no service principal %s", spID)
	}
	next := deepCopy(sp.props).(map[string]any)
	if err := mergePatch(next, patch, "microsoft.graph.servicePrincipal"); err != nil {
		return err
	}
	sp.props = next
	return nil
}

// RemoveSigningCertificates deletes every signing certificate of the
// service principal and clears its preferred thumbprint (a drifted app).
func (t *Tenant) RemoveSigningCertificates(spID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	sp, ok := t.sps[spID]
	if !ok {
		return fmt.Errorf("graphsim: no service principal %s", spID)
	}
	sp.certs = nil
	sp.props["preferredTokenSigningKeyThumbprint"] = nil
	return nil
}

// SetPolicyMode sets the identifier-URI policy.
func (t *Tenant) SetPolicyMode(m PolicyMode) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.policyMode = m
}

// SetReplicationDelay makes objects created from now on answer 404 (and be
// missing from lists) for d after their creation.
func (t *Tenant) SetReplicationDelay(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.replication = d
}

// FailApplicationPatch makes the next n PATCHes of an application that set
// identifierUris answer 400 Request_BadRequest (a failure midway).
func (t *Tenant) FailApplicationPatch(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failAppPatch = n
}

// ExpireDeltaTokens makes every delta token issued so far answer 410 Gone.
func (t *Tenant) ExpireDeltaTokens() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.deltaCutoff = time.Now()
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

// syncSPNames keeps the SP's servicePrincipalNames = appId + identifierUris.
func (t *Tenant) syncSPNames(app *object) {
	sp := t.spByAppID(app.str("appId"))
	if sp == nil {
		return
	}
	names := []any{app.str("appId")}
	for _, u := range strs(app.props["identifierUris"]) {
		names = append(names, u)
	}
	sp.props["servicePrincipalNames"] = names
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
