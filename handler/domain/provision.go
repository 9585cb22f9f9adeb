package domain

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SSOModeSAML is the service principal's preferredSingleSignOnMode for SAML.
const SSOModeSAML = "saml"

// DefaultAccessRoleID is the app role id Entra uses for "default access" on
// a resource that defines no app roles.
const DefaultAccessRoleID = "00000000-0000-0000-0000-000000000000"

// App is the Aircall enterprise application as provisioning sees it: the
// application object, its service principal and the SAML settings on both.
type App struct {
	// ObjectID is the application object's id (PATCH /applications/{id}).
	ObjectID string `json:"objectId"`
	// AppID is the application (client) id; the federation metadata URL uses it.
	AppID string `json:"appId"`
	// ServicePrincipalID is the enterprise app's (service principal's) object id.
	ServicePrincipalID string `json:"servicePrincipalId"`
	DisplayName        string `json:"displayName"`
	// Tags are the application's tags; ManagedTag marks apps we manage.
	Tags []string `json:"tags,omitempty"`
	// ServicePrincipalTags are the service principal's tags.
	ServicePrincipalTags []string `json:"servicePrincipalTags,omitempty"`
	// IdentifierURIs are the SAML Identifiers (Entity IDs).
	IdentifierURIs []string `json:"identifierUris"`
	// RedirectURIs are the SAML Reply URLs (web.redirectUris).
	RedirectURIs []string `json:"redirectUris"`
	// SSOMode is the service principal's preferredSingleSignOnMode ("" unset).
	SSOMode string `json:"ssoMode"`
	// PreferredThumbprint is preferredTokenSigningKeyThumbprint: the active
	// SAML signing certificate, upper-case hex SHA-1.
	PreferredThumbprint string `json:"preferredThumbprint,omitempty"`
	// Certificates are the service principal's SAML signing certificates.
	Certificates []SigningCertificate `json:"certificates,omitempty"`
	// AppRoles are the roles users and groups can be assigned to.
	AppRoles []AppRole `json:"appRoles,omitempty"`
	// LoginURL is the service principal's loginUrl (sign-on URL), "" unset.
	LoginURL string `json:"loginUrl,omitempty"`
}

// Managed reports whether the app carries ManagedTag on both the
// application and the service principal.
func (a App) Managed() bool {
	return hasFold(a.Tags, ManagedTag) && hasFold(a.ServicePrincipalTags, ManagedTag)
}

// AssignableRoleID returns the role to assign users and groups to: the
// enabled role for users valued or named "User", else "msiam_access", else
// Entra's default access role.
func (a App) AssignableRoleID() string {
	for _, want := range []string{"User", "msiam_access"} {
		for _, r := range a.AppRoles {
			if r.Enabled && r.ForUsers && (strings.EqualFold(r.Value, want) || strings.EqualFold(r.DisplayName, want)) {
				return r.ID
			}
		}
	}
	return DefaultAccessRoleID
}

// Ref returns the app's metadata reference in tenant.
func (a App) Ref(tenant string) AppRef {
	return AppRef{Tenant: strings.ToLower(tenant), AppID: a.AppID}
}

func hasFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// SigningCertificate is one SAML token signing certificate of the service
// principal (its "Verify" key credential).
type SigningCertificate struct {
	// Thumbprint is the upper-case hex SHA-1 of the DER certificate.
	Thumbprint string    `json:"thumbprint"`
	KeyID      string    `json:"keyId,omitempty"`
	Subject    string    `json:"subject,omitempty"`
	NotBefore  time.Time `json:"notBefore"`
	NotAfter   time.Time `json:"notAfter"`
}

// AppRole is an app role of the application.
type AppRole struct {
	ID          string `json:"id"`
	Value       string `json:"value,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	// ForUsers is set when users and groups can hold the role.
	ForUsers bool `json:"forUsers"`
	Enabled  bool `json:"enabled"`
}

// AppLookup says which app to read: by its appId only, never by tag or
// display name (docs/security.md, "Which app is ours").
type AppLookup struct {
	AppID string
}

// ServicePrincipalPatch is a partial update of the service principal; nil
// fields are left unchanged.
type ServicePrincipalPatch struct {
	SSOMode             *string
	PreferredThumbprint *string
	Tags                []string
	// LoginURL is the sign-on URL the My Apps tile opens ("" clears it).
	LoginURL *string
}

// ApplicationPatch is a partial update of the application; nil fields are
// left unchanged.
type ApplicationPatch struct {
	IdentifierURIs []string
	RedirectURIs   []string
	Tags           []string
}

// EmailClaimState is the app's emailaddress claim as configured, and the
// claims mapping policy attached to the service principal when there is one.
type EmailClaimState struct {
	ClaimConfig
	// PolicyID is the attached claims mapping policy's id ("" when none).
	PolicyID string `json:"policyId,omitempty"`
	// PolicyName is its display name.
	PolicyName string `json:"policyName,omitempty"`
}

// AppAssignment is one user or group assigned to the app.
type AppAssignment struct {
	ID            string `json:"id"`
	PrincipalID   string `json:"principalId"`
	PrincipalType string `json:"principalType,omitempty"`
	PrincipalName string `json:"principalName,omitempty"`
	AppRoleID     string `json:"appRoleId"`
}

// AppDirectory is what the provision job needs from Entra ID to create and
// converge the Aircall enterprise application. Each method is one small,
// idempotent or clearly additive change, so an interrupted run can be
// completed by the next.
//
// Adapters map Graph failures to the error vocabulary: ENOTFOUND for a
// missing object, EFORBIDDEN naming the Graph permission that is missing,
// EUNPROCESSABLE for a change the tenant's policy refuses (with an
// *IdentifierURIRefusedError cause for the identifier-URI policy), EINVALID
// for a principal that does not exist, EUNAVAILABLE when Graph throttles or
// is unavailable after retries, and EUPSTREAM for any other Graph failure.
type AppDirectory interface {
	// FindApp returns the app with lookup.AppID (and nothing else);
	// ENOTFOUND when there is none.
	FindApp(ctx context.Context, lookup AppLookup) (App, error)
	// LookAlikes lists the apps other than exceptAppID that carry
	// ManagedTag, AircallEntityID as an identifier URI, or displayName.
	LookAlikes(ctx context.Context, exceptAppID, displayName string) ([]LookAlike, error)
	// Owners lists the owners of the application and its service principal.
	Owners(ctx context.Context, objectID, servicePrincipalID string) (AppOwners, error)
	// AddOwner makes ownerID an owner of the application and of the service
	// principal where it is not one yet.
	AddOwner(ctx context.Context, objectID, servicePrincipalID, ownerID string) error
	// Instantiate creates the application and its service principal from
	// NonGalleryTemplateID, tags both with ManagedTag and waits until both can
	// be read (replication), with a bounded backoff. It is not repeated
	// blindly: after an uncertain outcome (a 5xx, a timeout) it looks for the
	// app that call created before trying again.
	Instantiate(ctx context.Context, displayName string) (App, error)
	// GetApp rereads the app by its object ids.
	GetApp(ctx context.Context, objectID, servicePrincipalID string) (App, error)
	// PatchServicePrincipal updates the service principal.
	PatchServicePrincipal(ctx context.Context, servicePrincipalID string, p ServicePrincipalPatch) error
	// PatchApplication updates the application.
	PatchApplication(ctx context.Context, objectID string, p ApplicationPatch) error
	// AddSigningCertificate creates a self-signed SAML signing certificate
	// (subject "CN=…", valid until notAfter) on the service principal. It is
	// not active until PreferredThumbprint names it. After an uncertain
	// outcome it looks for the certificate (subject and dates) before trying
	// again, so one call adds at most one certificate.
	AddSigningCertificate(ctx context.Context, servicePrincipalID, subject string, notAfter time.Time) (SigningCertificate, error)
	// EmailClaim reads the emailaddress claim configuration in effect.
	EmailClaim(ctx context.Context, servicePrincipalID string) (EmailClaimState, error)
	// SetEmailClaim makes the emailaddress (and NameID) claim come from src
	// with a claims mapping policy named policyName: the policy attached to
	// the service principal, or the one with id knownPolicyID (recorded in
	// the pin), is reused when its name and definition match, else a new one
	// is created; a different attached policy is detached first. It never
	// lists the tenant's policies (docs/provision.md, "Email claim").
	SetEmailClaim(ctx context.Context, servicePrincipalID string, src ClaimSource, policyName, knownPolicyID string) (EmailClaimState, error)
	// Assignments lists the users and groups assigned to the app.
	Assignments(ctx context.Context, servicePrincipalID string) ([]AppAssignment, error)
	// Assign assigns a user or group (principalID) to the app role appRoleID.
	Assign(ctx context.Context, servicePrincipalID, principalID, appRoleID string) (AppAssignment, error)
}

// IdentifierURIRefusedError is the cause of the EUNPROCESSABLE error an
// AppDirectory returns when the tenant's app management policy refuses an
// identifier URI.
type IdentifierURIRefusedError struct {
	URI string
	// GraphCode and GraphMessage are Graph's answer, verbatim.
	GraphCode    string
	GraphMessage string
}

func (e *IdentifierURIRefusedError) Error() string {
	return fmt.Sprintf("identifier URI %s refused by the tenant's policy: %s %s", e.URI, e.GraphCode, e.GraphMessage)
}

// IdentifierURIRemedy says what an administrator can do when the tenant's
// identifier-URI policy refuses AircallEntityID on the app with appID.
func IdentifierURIRemedy(appID string) string {
	return fmt.Sprintf("The tenant's app management policy refuses the identifier %[1]s (an Amazon Cognito URN, not on a verified domain). "+
		"An administrator must do one of: (1) exempt the app: create an appManagementPolicy with "+
		"applicationRestrictions.identifierUris.nonDefaultUriAddition and uriAdditionWithoutUniqueTenantIdentifier disabled "+
		"(POST /policies/appManagementPolicies) and assign it to the application (POST /applications(appId='%[2]s')/appManagementPolicies/$ref), "+
		"or add the app to the exclusions of the tenant default (PATCH /policies/defaultAppManagementPolicy); "+
		"(2) relax the tenant default policy's identifier-URI restriction; or "+
		"(3) set api.requestedAccessTokenVersion to 2 on the app (Entra admin center → App registrations → appId %[2]s → Manifest: "+
		"\"requestedAccessTokenVersion\": 2), which the policy exempts. Then run provision again: it continues where it stopped.",
		AircallEntityID, appID)
}
