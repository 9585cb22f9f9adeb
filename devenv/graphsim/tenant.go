package graphsim

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// PolicyMode is the tenant's identifier-URI policy
// (learn.microsoft.com/graph/api/resources/identifieruriconfiguration).
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
	// api://{tenantId}/{appId} (nonDefaultUriAddition), with the same
	// exemptions (rules.go, uriExemptions).
	PolicyStrict PolicyMode = "strict"
	// PolicyCustom is nonDefaultUriAddition as a tenant may configure it
	// with excludeSaml and excludeAppsReceivingV2Tokens false
	// (learn.microsoft.com/graph/api/resources/identifierurirestriction):
	// it refuses even SAML apps.
	PolicyCustom PolicyMode = "custom"
)

// Tenant is one simulated directory and the simulator's behaviour knobs.
// Every method is safe for concurrent use; tests call them while requests
// are being served.
type Tenant struct {
	mu     sync.Mutex
	cloud  string // domain.Cloud name; "" = any (cloud.go)
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
	// deltaEpoch: delta tokens issued in an earlier epoch (before the last
	// ExpireDeltaTokens) are expired.
	deltaEpoch int
	deltaTTL   time.Duration
	// deltaExpiry is how an expired delta token is answered.
	deltaExpiry DeltaExpiry
	// memberLog records membership changes for groups/delta.
	memberLog []memberChange
	memberSeq uint64
	// failApplicationPatch: the next n PATCHes of an application that set
	// identifierUris answer 400.
	failAppPatch int
	// after: faults answered after the request was carried out (owners.go).
	after afterFaults
	// forgery makes the metadata route answer as an attacker would (forgery.go).
	forgery  *MetadataForgery
	attacker *signingCert

	behaviour
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
	t.deltaEpoch++
}
