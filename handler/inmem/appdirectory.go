package inmem

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Identifier-URI policy modes of AppDirectory (the simulator's modes).
const (
	// URIPolicyOff accepts any identifier URI.
	URIPolicyOff = "off"
	// URIPolicyDefault refuses a URI without a verified domain unless the
	// service principal is in SAML mode.
	URIPolicyDefault = "default"
	// URIPolicyStrict refuses every URI but api://{appId} unless the service
	// principal is in SAML mode.
	URIPolicyStrict = "strict"
	// URIPolicyCustom refuses every such URI, SAML app or not (a tenant's
	// own policy with excludeSaml false).
	URIPolicyCustom = "custom"
)

// AppDirectory is an in-memory domain.AppDirectory: enterprise apps
// instantiated from the non-gallery template, claims mapping policies,
// principals that can be assigned and their assignments. Tests inject
// failures with FailOn and set the identifier-URI policy with URIPolicy.
type AppDirectory struct {
	mu         sync.Mutex
	apps       map[string]*domain.App // by application object id
	policies   map[string]*mappingPolicy
	attached   map[string]string // service principal id → policy id
	principals map[string]string // object id → "User" | "Group"
	assigned   map[string][]domain.AppAssignment
	uriPolicy  string
	fail       map[string][]error
	calls      map[string]int
	now        func() time.Time
	// owners: application object id → its owners and its service
	// principal's; caller is the identity the directory's calls run as
	// (instantiate makes it an owner of both, as Graph does).
	owners map[string]*domain.AppOwners
	caller string
	// hooks run at the start of a method's next call (OnCall).
	hooks map[string]func(context.Context)
}

type mappingPolicy struct {
	id, name string
	src      domain.ClaimSource
}

var _ domain.AppDirectory = (*AppDirectory)(nil)

// NewAppDirectory returns an empty tenant with the identifier-URI policy off.
func NewAppDirectory() *AppDirectory {
	return &AppDirectory{
		apps: map[string]*domain.App{}, policies: map[string]*mappingPolicy{}, attached: map[string]string{},
		principals: map[string]string{}, assigned: map[string][]domain.AppAssignment{}, uriPolicy: URIPolicyOff,
		fail: map[string][]error{}, calls: map[string]int{}, now: time.Now,
		owners: map[string]*domain.AppOwners{}, caller: DefaultCaller, hooks: map[string]func(context.Context){},
	}
}

// DefaultCaller is the object id an AppDirectory's calls run as until
// SetCaller changes it.
const DefaultCaller = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"

// SetCaller sets the object id the directory's calls run as.
func (d *AppDirectory) SetCaller(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.caller = id
}

// URIPolicy sets the identifier-URI policy mode (URIPolicyOff, …Default, …Strict).
func (d *AppDirectory) URIPolicy(mode string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.uriPolicy = mode
}

// AddPrincipal makes a user or group (kind "User" or "Group") assignable.
func (d *AppDirectory) AddPrincipal(id, kind string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.principals[strings.ToLower(id)] = kind
}

// FailOn makes the next calls of method (e.g. "PatchApplication") fail with
// errs, one per call, before changing anything.
func (d *AppDirectory) FailOn(method string, errs ...error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fail[method] = append(d.fail[method], errs...)
}

// OnCall runs fn with the call's context at the start of method's next
// call, before it changes anything (tests: break a lock mid-apply).
func (d *AppDirectory) OnCall(method string, fn func(ctx context.Context)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.hooks[method] = fn
}

// Calls returns how often method was called.
func (d *AppDirectory) Calls(method string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[method]
}

// Put stores an existing app as is (ids generated when empty) and returns it,
// for tests that start from a drifted app.
func (d *AppDirectory) Put(app domain.App) domain.App {
	d.mu.Lock()
	defer d.mu.Unlock()
	if app.ObjectID == "" {
		app.ObjectID = newGUID()
	}
	if app.AppID == "" {
		app.AppID = newGUID()
	}
	if app.ServicePrincipalID == "" {
		app.ServicePrincipalID = newGUID()
	}
	c := cloneApp(app)
	d.apps[app.ObjectID] = &c
	return cloneApp(c)
}

// AttachClaimPolicy attaches a claims mapping policy sourcing the
// emailaddress claim from src to the service principal (a drifted claim).
func (d *AppDirectory) AttachClaimPolicy(spID string, src domain.ClaimSource, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := &mappingPolicy{id: newGUID(), name: name, src: src}
	d.policies[p.id] = p
	d.attached[spID] = p.id
}

// Apps returns every app, ordered by display name then object id.
func (d *AppDirectory) Apps() []domain.App {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]domain.App, 0, len(d.apps))
	for _, a := range d.apps {
		out = append(out, cloneApp(*a))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DisplayName != out[j].DisplayName {
			return out[i].DisplayName < out[j].DisplayName
		}
		return out[i].ObjectID < out[j].ObjectID
	})
	return out
}

// PolicyCount returns how many claims mapping policies exist.
func (d *AppDirectory) PolicyCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.policies)
}

// enter counts the call and returns an injected failure; d.mu is held.
func (d *AppDirectory) enter(ctx context.Context, method string) error {
	d.calls[method]++
	if h := d.hooks[method]; h != nil {
		delete(d.hooks, method)
		h(ctx)
	}
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.EUNAVAILABLE, err, "%s: cancelled", method)
	}
	if q := d.fail[method]; len(q) > 0 {
		d.fail[method] = q[1:]
		return q[0]
	}
	return nil
}

// FindApp implements domain.AppDirectory: by appId only.
func (d *AppDirectory) FindApp(ctx context.Context, l domain.AppLookup) (domain.App, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "FindApp"); err != nil {
		return domain.App{}, err
	}
	for _, a := range d.apps {
		if l.AppID != "" && strings.EqualFold(a.AppID, l.AppID) {
			return cloneApp(*a), nil
		}
	}
	return domain.App{}, domain.Errorf(domain.ENOTFOUND, "no application has appId %s", l.AppID)
}

// Instantiate implements domain.AppDirectory.
func (d *AppDirectory) Instantiate(ctx context.Context, displayName string) (domain.App, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "Instantiate"); err != nil {
		return domain.App{}, err
	}
	roles := []domain.AppRole{
		{ID: newGUID(), DisplayName: "User", ForUsers: true, Enabled: true},
		{ID: newGUID(), DisplayName: "msiam_access", ForUsers: true, Enabled: true},
	}
	a := domain.App{
		ObjectID: newGUID(), AppID: newGUID(), ServicePrincipalID: newGUID(), DisplayName: displayName,
		Tags:                 []string{domain.ManagedTag},
		ServicePrincipalTags: []string{"WindowsAzureActiveDirectoryIntegratedApp", "WindowsAzureActiveDirectoryCustomSingleSignOnApplication", domain.ManagedTag},
		IdentifierURIs:       []string{}, RedirectURIs: []string{}, AppRoles: roles,
	}
	d.apps[a.ObjectID] = &a
	d.owners[a.ObjectID] = &domain.AppOwners{Application: []string{d.caller}, ServicePrincipal: []string{d.caller}}
	return cloneApp(a), nil
}

// GetApp implements domain.AppDirectory.
func (d *AppDirectory) GetApp(ctx context.Context, objectID, spID string) (domain.App, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "GetApp"); err != nil {
		return domain.App{}, err
	}
	a, ok := d.apps[objectID]
	if !ok || a.ServicePrincipalID != spID {
		return domain.App{}, domain.Errorf(domain.ENOTFOUND, "application %s with service principal %s does not exist", objectID, spID)
	}
	return cloneApp(*a), nil
}

func (d *AppDirectory) bySP(spID string) (*domain.App, error) {
	for _, a := range d.apps {
		if a.ServicePrincipalID == spID {
			return a, nil
		}
	}
	return nil, domain.Errorf(domain.ENOTFOUND, "service principal %s does not exist", spID)
}

// PatchServicePrincipal implements domain.AppDirectory.
func (d *AppDirectory) PatchServicePrincipal(ctx context.Context, spID string, p domain.ServicePrincipalPatch) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "PatchServicePrincipal"); err != nil {
		return err
	}
	a, err := d.bySP(spID)
	if err != nil {
		return err
	}
	if p.PreferredThumbprint != nil {
		found := false
		for _, c := range a.Certificates {
			found = found || strings.EqualFold(c.Thumbprint, *p.PreferredThumbprint)
		}
		if !found {
			return domain.Errorf(domain.EUPSTREAM, "no key credential has the thumbprint %s", *p.PreferredThumbprint)
		}
		a.PreferredThumbprint = strings.ToUpper(*p.PreferredThumbprint)
	}
	if p.SSOMode != nil {
		a.SSOMode = *p.SSOMode
	}
	if p.Tags != nil {
		a.ServicePrincipalTags = append([]string(nil), p.Tags...)
	}
	if p.LoginURL != nil {
		a.LoginURL = *p.LoginURL
	}
	return nil
}

// PatchApplication implements domain.AppDirectory, with the identifier-URI
// policy.
func (d *AppDirectory) PatchApplication(ctx context.Context, objectID string, p domain.ApplicationPatch) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "PatchApplication"); err != nil {
		return err
	}
	a, ok := d.apps[objectID]
	if !ok {
		return domain.Errorf(domain.ENOTFOUND, "application %s does not exist", objectID)
	}
	if p.IdentifierURIs != nil {
		for _, u := range p.IdentifierURIs {
			if contains(a.IdentifierURIs, u) || strings.Contains(u, a.AppID) {
				continue
			}
			// SAML apps are exempt unless the policy says otherwise
			// (learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions).
			if d.uriPolicy == URIPolicyCustom || ((d.uriPolicy == URIPolicyStrict || d.uriPolicy == URIPolicyDefault) && a.SSOMode != domain.SSOModeSAML) {
				msg := fmt.Sprintf("Failed to add identifier URI %s. All newly added URIs must contain a tenant verified domain, tenant ID, or app ID, as per the default tenant policy of your organization. See https://aka.ms/identifier-uri-addition-error for more information on this error.", u)
				return &domain.Error{Code: domain.EUNPROCESSABLE, Message: "the tenant's identifier-URI policy refused " + u,
					Err: &domain.IdentifierURIRefusedError{URI: u, GraphCode: "InvalidUniqueTenantIdentifierAsPerAppPolicy", GraphMessage: msg}}
			}
		}
		a.IdentifierURIs = append([]string(nil), p.IdentifierURIs...)
	}
	if p.RedirectURIs != nil {
		a.RedirectURIs = append([]string(nil), p.RedirectURIs...)
	}
	if p.Tags != nil {
		a.Tags = append([]string(nil), p.Tags...)
	}
	return nil
}

// AddSigningCertificate implements domain.AppDirectory.
func (d *AppDirectory) AddSigningCertificate(ctx context.Context, spID, subject string, notAfter time.Time) (domain.SigningCertificate, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "AddSigningCertificate"); err != nil {
		return domain.SigningCertificate{}, err
	}
	if !strings.HasPrefix(subject, "CN=") {
		return domain.SigningCertificate{}, domain.Errorf(domain.EUPSTREAM, "displayName must start with CN=, got %q", subject)
	}
	now := d.now().UTC()
	if notAfter.After(now.Add(3*365*24*time.Hour + 24*time.Hour)) {
		return domain.SigningCertificate{}, domain.Errorf(domain.EUPSTREAM, "endDateTime is more than 3 years away")
	}
	a, err := d.bySP(spID)
	if err != nil {
		return domain.SigningCertificate{}, err
	}
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	c := domain.SigningCertificate{Thumbprint: strings.ToUpper(hex.EncodeToString(b)), KeyID: newGUID(), Subject: subject,
		NotBefore: now.Truncate(time.Second), NotAfter: notAfter.UTC().Truncate(time.Second)}
	a.Certificates = append(a.Certificates, c)
	return c, nil
}

func hasTag(tags []string) bool { return contains(tags, domain.ManagedTag) }

func contains(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

func cloneApp(a domain.App) domain.App {
	a.Tags = append([]string(nil), a.Tags...)
	a.ServicePrincipalTags = append([]string(nil), a.ServicePrincipalTags...)
	a.IdentifierURIs = append([]string{}, a.IdentifierURIs...)
	a.RedirectURIs = append([]string{}, a.RedirectURIs...)
	a.Certificates = append([]domain.SigningCertificate(nil), a.Certificates...)
	a.AppRoles = append([]domain.AppRole(nil), a.AppRoles...)
	return a
}

func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
