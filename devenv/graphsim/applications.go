package graphsim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// App role ids of the non-gallery template (the ids Entra uses for the
// "User" and "msiam_access" roles of SAML apps).
const (
	appRoleUserID    = "18d14569-c3bd-439b-9a66-3a2aee01d14f"
	appRoleMsiamID   = "b9632174-c057-4f7e-951b-be3adc52bfe6"
	appRoleDefault   = "00000000-0000-0000-0000-000000000000"
	gallerySAMLTag   = "WindowsAzureActiveDirectoryCustomSingleSignOnApplication"
	integratedAppTag = "WindowsAzureActiveDirectoryIntegratedApp"
)

// applicationRoutes: the non-gallery template and applications, by
// object id or by appId (alternate key).
func applicationRoutes() []route {
	const api = "learn.microsoft.com/graph/api/"
	return []route{
		{method: "POST", pattern: "/v1.0/applicationTemplates/{id}/instantiate", handle: instantiateTemplate, doc: api + "applicationtemplate-instantiate"},
		{method: "GET", pattern: "/v1.0/applications", handle: listObjects("applications"), ru: 2, doc: api + "application-list"},
		{method: "GET", pattern: "/v1.0/applications/{id}", handle: getObject("applications"), doc: api + "application-get"},
		{method: "PATCH", pattern: "/v1.0/applications/{id}", handle: patchObject("applications"), doc: api + "application-update"},
		{method: "GET", pattern: "/v1.0/applications(appId='{appId}')", handle: getObject("applications"), doc: api + "application-get"},
		{method: "PATCH", pattern: "/v1.0/applications(appId='{appId}')", handle: patchObject("applications"), doc: api + "application-update"},
	}
}

func appRoles() []any {
	role := func(id, name, desc string) map[string]any {
		return map[string]any{"allowedMemberTypes": []any{"User"}, "description": desc, "displayName": name,
			"id": id, "isEnabled": true, "origin": "Application", "value": nil}
	}
	return []any{role(appRoleUserID, "User", "User"), role(appRoleMsiamID, "msiam_access", "msiam_access")}
}

func nowStamp() string { return time.Now().UTC().Format("2006-01-02T15:04:05Z") }

// instantiate creates an application and its service principal; callers
// hold t.mu. visibleAt zero means "now + the replication delay".
func (t *Tenant) instantiate(templateID, name string, visibleAt time.Time) (*object, *object) {
	now := time.Now()
	if visibleAt.IsZero() {
		visibleAt = now.Add(t.replication)
	}
	appID := uuid.NewString()
	app := &object{created: now, visibleAt: visibleAt, props: map[string]any{
		"id": uuid.NewString(), "appId": appID, "applicationTemplateId": templateID, "displayName": name,
		"createdDateTime": nowStamp(), "deletedDateTime": nil, "description": nil, "disabledByMicrosoftStatus": nil,
		"groupMembershipClaims": nil, "identifierUris": []any{}, "isFallbackPublicClient": nil, "notes": nil,
		"publisherDomain": t.gen.tenant, "signInAudience": "AzureADMyOrg", "tags": []any{}, "tokenEncryptionKeyId": nil,
		"defaultRedirectUri": nil, "addIns": []any{}, "optionalClaims": nil, "requiredResourceAccess": []any{},
		"api": map[string]any{"acceptMappedClaims": nil, "knownClientApplications": []any{}, "requestedAccessTokenVersion": nil,
			"oauth2PermissionScopes": []any{}, "preAuthorizedApplications": []any{}},
		"appRoles":       appRoles(),
		"info":           map[string]any{"logoUrl": nil, "marketingUrl": nil, "privacyStatementUrl": nil, "supportUrl": nil, "termsOfServiceUrl": nil},
		"keyCredentials": []any{}, "passwordCredentials": []any{},
		"parentalControlSettings": map[string]any{"countriesBlockedForMinors": []any{}, "legalAgeGroupRule": "Allow"},
		"publicClient":            map[string]any{"redirectUris": []any{}},
		"spa":                     map[string]any{"redirectUris": []any{}},
		"web": map[string]any{"homePageUrl": nil, "logoutUrl": nil, "redirectUris": []any{},
			"implicitGrantSettings": map[string]any{"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false}},
	}}
	sp := &object{created: now, visibleAt: visibleAt, props: map[string]any{
		"id": uuid.NewString(), "deletedDateTime": nil, "accountEnabled": true, "alternativeNames": []any{},
		"appDisplayName": name, "appDescription": nil, "appId": appID, "applicationTemplateId": templateID,
		"appOwnerOrganizationId": t.id, "appRoleAssignmentRequired": true, "description": nil,
		"disabledByMicrosoftStatus": nil, "displayName": name, "homepage": nil, "loginUrl": nil, "logoutUrl": nil,
		"notes": nil, "notificationEmailAddresses": []any{}, "preferredSingleSignOnMode": nil,
		"preferredTokenSigningKeyThumbprint": nil, "replyUrls": []any{}, "servicePrincipalNames": []any{appID},
		"servicePrincipalType": "Application", "signInAudience": "AzureADMyOrg",
		"tags": []any{integratedAppTag, gallerySAMLTag}, "tokenEncryptionKeyId": nil, "samlSingleSignOnSettings": nil,
		"addIns": []any{}, "appRoles": appRoles(),
		"info":                   map[string]any{"logoUrl": nil, "marketingUrl": nil, "privacyStatementUrl": nil, "supportUrl": nil, "termsOfServiceUrl": nil},
		"oauth2PermissionScopes": []any{}, "resourceSpecificApplicationPermissions": []any{},
		"verifiedPublisher": map[string]any{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil},
	}}
	// The identity that creates an app owns it (CreateApp: the simulator's
	// caller; instantiateTemplate: the token's oid).
	app.owners, sp.owners = []string{simAppID}, []string{simAppID}
	t.apps[app.str("id")] = app
	t.sps[sp.str("id")] = sp
	return app, sp
}

// instantiateTemplate: POST /applicationTemplates/{id}/instantiate.
func instantiateTemplate(c *call, p params) *graphError {
	body, e := c.decodeObject()
	if e != nil {
		return e
	}
	name, _ := body["displayName"].(string)
	if strings.TrimSpace(name) == "" {
		return badRequest("Required property 'displayName' is missing or empty.")
	}
	if !c.t.templateAccepted(p["id"]) {
		return notFound(p["id"])
	}
	c.t.mu.Lock()
	app, sp := c.t.instantiate(strings.ToLower(p["id"]), name, time.Time{})
	if oid, _ := callerClaims(c.r); oid != "" {
		app.owners, sp.owners = []string{strings.ToLower(oid)}, []string{strings.ToLower(oid)}
	}
	out := map[string]any{
		"@odata.context":   c.ctx("microsoft.graph.applicationServicePrincipal"),
		"application":      cloneProps(app.props),
		"servicePrincipal": c.t.renderSP(sp, false),
	}
	c.t.mu.Unlock()
	writeJSON(c.w, 201, out)
	return nil
}

// ConfigureAircallApp converges the app with appID the way provision does:
// SAML mode, Aircall's identifier URI and reply URL, the managed tag, an
// active signing certificate and the email claim from userPrincipalName
// (claims mapping policy).
func (t *Tenant) ConfigureAircallApp(appID string) error {
	t.mu.Lock()
	app, sp := t.appByAppID(appID), t.spByAppID(appID)
	if app == nil || sp == nil {
		t.mu.Unlock()
		return fmt.Errorf("graphsim: no app %s", appID)
	}
	sp.props["preferredSingleSignOnMode"] = "saml"
	sp.props["tags"] = append(sp.props["tags"].([]any), domain.ManagedTag, "HideApp")
	app.props["tags"] = []any{domain.ManagedTag}
	app.props["identifierUris"] = []any{domain.AircallEntityID}
	web := deepCopy(app.props["web"]).(map[string]any) // copy-on-write
	web["redirectUris"] = []any{domain.AircallReplyURL}
	app.props["web"] = web
	t.syncSPNames(app)
	spID := sp.str("id")
	t.mu.Unlock()
	if _, err := t.RotateSigningCertificate(appID); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	def, _ := json.Marshal(map[string]any{"ClaimsMappingPolicy": map[string]any{"Version": 1, "IncludeBasicClaimSet": "true",
		"ClaimsSchema": []any{map[string]any{"Source": "user", "ID": "userprincipalname", "SamlClaimType": domain.EmailClaimType}}}})
	p := t.newClaimsPolicy("Aircall email from UPN", []any{string(def)})
	t.sps[spID].claims = []string{p.str("id")}
	return nil
}

// AppInfo identifies one application and its service principal.
type AppInfo struct {
	ObjectID    string   `json:"objectId"`
	AppID       string   `json:"appId"`
	SPID        string   `json:"servicePrincipalId"`
	DisplayName string   `json:"displayName"`
	Tags        []string `json:"tags"`
	// TemplateID is the applicationTemplateId it was instantiated from.
	TemplateID string `json:"applicationTemplateId"`
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
		info := AppInfo{ObjectID: a.str("id"), AppID: a.str("appId"), DisplayName: a.str("displayName"), Tags: strs(a.props["tags"]), TemplateID: a.str("applicationTemplateId")}
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
