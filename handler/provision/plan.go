// Package provision creates and converges the Aircall SAML enterprise
// application in Entra ID: it compares the desired state with the tenant, makes
// a Plan of ordered steps (each with before and after), and applies it in the
// safe order — SAML mode before identifier URIs, signing certificate before
// making it active — under a lock, so concurrent runs cannot create two apps.
//
// It decides; it does not talk to Graph (that is a domain.AppDirectory) and it
// does not know about HTTP (that is package functions).
package provision

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Desired is the app configuration provision converges to.
type Desired struct {
	// DisplayName names the app when it is created, and finds it when it is
	// not tagged yet. An existing app is not renamed.
	DisplayName string `json:"displayName"`
	// EntityID and ReplyURL default to domain.AircallEntityID and
	// domain.AircallReplyURL.
	EntityID string `json:"entityId"`
	ReplyURL string `json:"replyUrl"`
	// ClaimSource is the emailaddress claim's source (default userprincipalname).
	ClaimSource domain.ClaimSource `json:"claimSource"`
	// Assign lists object ids of users and groups that must be assigned.
	// Assignments not listed are left alone.
	Assign []string `json:"assign,omitempty"`
	// CertLifetime is a new signing certificate's lifetime (default and
	// maximum 3 years).
	CertLifetime time.Duration `json:"certLifetime"`
	// CertRotateBefore: a new certificate is added when the active one
	// expires within this (default 30 days).
	CertRotateBefore time.Duration `json:"certRotateBefore"`
	// TemplateID is the cloud's non-gallery application template (default
	// domain.NonGalleryTemplateID, the global cloud's; docs/deploy.md,
	// "Clouds"). The plan names it; the Graph adapter instantiates it.
	TemplateID string `json:"-"`
	// SignOnURL (AIRCALL_SIGN_ON_URL) is the service principal's loginUrl:
	// the My Apps tile then starts an SP-initiated sign-in. Empty: the tile
	// is hidden (HideApp), since Aircall refuses IdP-initiated sign-in
	// (docs/aircall.md).
	SignOnURL string `json:"signOnUrl,omitempty"`
}

// Defaults for Desired.
const (
	DefaultDisplayName      = "Aircall SAML SSO"
	MaxCertLifetime         = 3 * 365 * 24 * time.Hour
	DefaultCertRotateBefore = 30 * 24 * time.Hour
)

// withDefaults fills zero fields and normalises ids.
func (d Desired) withDefaults() Desired {
	if strings.TrimSpace(d.DisplayName) == "" {
		d.DisplayName = DefaultDisplayName
	}
	d.DisplayName = strings.TrimSpace(d.DisplayName)
	if d.EntityID == "" {
		d.EntityID = domain.AircallEntityID
	}
	if d.ReplyURL == "" {
		d.ReplyURL = domain.AircallReplyURL
	}
	if d.ClaimSource == "" {
		d.ClaimSource = domain.ClaimFromUPN
	}
	if d.TemplateID == "" {
		d.TemplateID = domain.NonGalleryTemplateID
	}
	if d.CertLifetime <= 0 || d.CertLifetime > MaxCertLifetime {
		d.CertLifetime = MaxCertLifetime
	}
	if d.CertRotateBefore <= 0 {
		d.CertRotateBefore = DefaultCertRotateBefore
	}
	seen := map[string]bool{}
	var ids []string
	for _, id := range d.Assign {
		id = strings.ToLower(strings.TrimSpace(id))
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	d.Assign = ids
	return d
}

// Validate checks the desired state a caller may influence.
func (d Desired) Validate() error {
	if n := len([]rune(strings.TrimSpace(d.DisplayName))); n > 120 {
		return domain.FieldError("displayName", "must be at most 120 characters, got %d", n)
	}
	if strings.ContainsAny(d.DisplayName, "\x00\r\n\t") {
		return domain.FieldError("displayName", "must be one line of printable text")
	}
	if !d.withDefaults().ClaimSource.Valid() {
		return domain.FieldError("claimSource", "must be userprincipalname or mail, got %q", d.ClaimSource)
	}
	if len(d.Assign) > 500 {
		return domain.FieldError("assign", "lists %d principals; assign at most 500 at once (use groups)", len(d.Assign))
	}
	for _, id := range d.Assign {
		if !domain.IsGUID(strings.TrimSpace(id)) {
			return domain.FieldError("assign", "must hold user or group object ids (GUIDs), got %q", id)
		}
	}
	return nil
}

// PolicyName is the display name of the claims mapping policy provision
// creates for src: one per source, shared by every app it manages.
func PolicyName(src domain.ClaimSource) string {
	return "aircall-entra-sso: emailaddress from user." + string(src)
}

// StepKind names one kind of change, in the order Apply runs them.
type StepKind string

// Step kinds, in apply order.
const (
	StepCreateApp           StepKind = "create-app"
	StepPin                 StepKind = "pin"
	StepOwner               StepKind = "owner"
	StepTag                 StepKind = "tag"
	StepSSOMode             StepKind = "sso-mode"
	StepIdentifierURI       StepKind = "identifier-uri"
	StepReplyURL            StepKind = "reply-url"
	StepAddCertificate      StepKind = "add-certificate"
	StepActivateCertificate StepKind = "activate-certificate"
	StepMyAppsTile          StepKind = "my-apps-tile"
	StepEmailClaim          StepKind = "email-claim"
	StepAssign              StepKind = "assign"
)

var stepOrder = map[StepKind]int{
	StepCreateApp: 0, StepPin: 1, StepOwner: 2, StepTag: 3, StepSSOMode: 4, StepIdentifierURI: 5, StepReplyURL: 6,
	StepAddCertificate: 7, StepActivateCertificate: 8, StepMyAppsTile: 9, StepEmailClaim: 10, StepAssign: 11,
}

// Permissions is the least-privileged Graph application permission each step
// needs (docs/security.md lists each call with its Microsoft Learn page).
var Permissions = map[StepKind]string{
	StepCreateApp:           "Application.ReadWrite.OwnedBy",
	StepPin:                 "none (Blob state)",
	StepOwner:               "Application.ReadWrite.All and Directory.Read.All (operator identity)",
	StepMyAppsTile:          "Application.ReadWrite.OwnedBy",
	StepTag:                 "Application.ReadWrite.OwnedBy",
	StepSSOMode:             "Application.ReadWrite.OwnedBy",
	StepIdentifierURI:       "Application.ReadWrite.OwnedBy",
	StepReplyURL:            "Application.ReadWrite.OwnedBy",
	StepAddCertificate:      "Application.ReadWrite.OwnedBy",
	StepActivateCertificate: "Application.ReadWrite.OwnedBy",
	StepEmailClaim:          "Policy.ReadWrite.ApplicationConfiguration and Application.ReadWrite.OwnedBy (operator identity)",
	StepAssign:              "AppRoleAssignment.ReadWrite.All (operator identity)",
}

// Step is one change of the plan.
type Step struct {
	Kind StepKind `json:"step"`
	// Target is "application", "servicePrincipal", "claimsMappingPolicy" or
	// "appRoleAssignment".
	Target string `json:"target"`
	// Setting is the Graph property or relation changed.
	Setting string `json:"setting"`
	Before  string `json:"before"`
	After   string `json:"after"`
	// Permission is the least-privileged Graph permission the step needs.
	Permission string `json:"permission"`
	// PrincipalID is the user or group an assign step assigns.
	PrincipalID string `json:"principalId,omitempty"`
	// Thumbprint is the certificate an activate step makes active ("" when
	// it is the one the add-certificate step creates).
	Thumbprint string `json:"thumbprint,omitempty"`
}

func (s Step) String() string {
	return fmt.Sprintf("%s: %s %s: %s → %s", s.Kind, s.Target, s.Setting, s.Before, s.After)
}

// State is what the tenant holds now.
type State struct {
	// App is nil when the app does not exist yet.
	App         *domain.App
	Claim       domain.EmailClaimState
	Assignments []domain.AppAssignment
	// Pin is the pinned app (nil before the first provision) and PinETag
	// its version; OwnerID is the identity that must own the app and Unowned
	// is set when it does not own both objects; Adopt is set when an operator adopts App
	// (`--adopt`) and the pin or the ownership must change.
	Pin     *domain.PinnedApp
	PinETag string
	OwnerID string
	Unowned bool
	Adopt   bool
	// LookAlikes are the other apps that look like ours (reported only).
	LookAlikes []domain.LookAlike
}

// MakePlan compares the state with the desired configuration and returns the
// steps that converge it, in apply order. An empty plan means nothing to do.
func MakePlan(d Desired, st State, now time.Time) []Step {
	d = d.withDefaults()
	var steps []Step
	add := func(s Step) {
		s.Permission = Permissions[s.Kind]
		steps = append(steps, s)
	}
	app := st.App
	claim := st.Claim
	if app == nil {
		add(Step{Kind: StepCreateApp, Target: "application", Setting: "instantiate " + d.TemplateID,
			Before: "none", After: fmt.Sprintf("%q tagged %s", d.DisplayName, domain.ManagedTag)})
		add(Step{Kind: StepPin, Target: "state", Setting: "pinned app", Before: "none", After: "the new app"})
		add(Step{Kind: StepOwner, Target: "application, servicePrincipal", Setting: "owners", Before: "the creator", After: orNone(st.OwnerID)})
		app = &domain.App{}
		claim = domain.EmailClaimState{ClaimConfig: domain.ClaimConfig{Source: domain.ClaimFromMail, Origin: domain.ClaimOriginDefault}}
	}
	if st.App != nil && st.Adopt {
		before := "none"
		if st.Pin != nil {
			before = st.Pin.AppID
		}
		add(Step{Kind: StepPin, Target: "state", Setting: "pinned app", Before: before, After: st.App.AppID + " (adopted)"})
	}
	if st.App != nil && st.Unowned {
		add(Step{Kind: StepOwner, Target: "application, servicePrincipal", Setting: "owners", Before: "not an owner", After: orNone(st.OwnerID)})
	}
	if st.App != nil && !app.Managed() {
		add(Step{Kind: StepTag, Target: "application, servicePrincipal", Setting: "tags",
			Before: list(app.Tags), After: list(withTag(app.Tags))})
	}
	if !strings.EqualFold(app.SSOMode, domain.SSOModeSAML) {
		add(Step{Kind: StepSSOMode, Target: "servicePrincipal", Setting: "preferredSingleSignOnMode",
			Before: orNone(app.SSOMode), After: domain.SSOModeSAML})
	}
	if !sameSet(app.IdentifierURIs, []string{d.EntityID}) {
		add(Step{Kind: StepIdentifierURI, Target: "application", Setting: "identifierUris",
			Before: list(app.IdentifierURIs), After: d.EntityID})
	}
	if !sameSet(app.RedirectURIs, []string{d.ReplyURL}) {
		add(Step{Kind: StepReplyURL, Target: "application", Setting: "web.redirectUris",
			Before: list(app.RedirectURIs), After: d.ReplyURL})
	}
	steps = append(steps, certSteps(d, app, now)...)
	if s, ok := tileStep(d, app); ok {
		add(s)
	}
	if claim.Source != d.ClaimSource {
		origin := claim.Origin
		if origin == "" {
			origin = domain.ClaimOriginDefault
		}
		add(Step{Kind: StepEmailClaim, Target: "claimsMappingPolicy", Setting: "emailaddress claim source",
			Before: fmt.Sprintf("user.%s (%s)", orNone(string(claim.Source)), origin),
			After:  fmt.Sprintf("user.%s (%s %q)", d.ClaimSource, domain.ClaimOriginMappingPolicy, PolicyName(d.ClaimSource))})
	}
	assigned := map[string]bool{}
	for _, a := range st.Assignments {
		assigned[strings.ToLower(a.PrincipalID)] = true
	}
	role := "User"
	if st.App != nil {
		role = roleName(*st.App)
	}
	for _, p := range d.Assign {
		if !assigned[p] {
			add(Step{Kind: StepAssign, Target: "appRoleAssignment", Setting: "appRoleAssignedTo",
				Before: "not assigned", After: "assigned (role " + role + ")", PrincipalID: p})
		}
	}
	for i := range steps {
		steps[i].Permission = Permissions[steps[i].Kind]
	}
	sort.SliceStable(steps, func(i, j int) bool { return stepOrder[steps[i].Kind] < stepOrder[steps[j].Kind] })
	return steps
}

func roleName(app domain.App) string {
	id := app.AssignableRoleID()
	for _, r := range app.AppRoles {
		if r.ID == id {
			if r.DisplayName != "" {
				return r.DisplayName
			}
			return r.Value
		}
	}
	return "default access"
}

func withTag(tags []string) []string {
	for _, t := range tags {
		if strings.EqualFold(t, domain.ManagedTag) {
			return tags
		}
	}
	return append(append([]string(nil), tags...), domain.ManagedTag)
}

func sameSet(have, want []string) bool {
	if len(have) != len(want) {
		return false
	}
	m := map[string]bool{}
	for _, h := range have {
		m[strings.TrimRight(h, "/")] = true
	}
	for _, w := range want {
		if !m[strings.TrimRight(w, "/")] {
			return false
		}
	}
	return true
}

func list(v []string) string {
	if len(v) == 0 {
		return "none"
	}
	return strings.Join(v, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
