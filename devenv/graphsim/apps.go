package graphsim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// knownTemplates are the template ids instantiate accepts (global, US Gov,
// China non-gallery templates).
var knownTemplates = map[string]bool{
	domain.NonGalleryTemplateID:            true,
	"4602d0b4-76bb-404b-bca9-2652e1a39c6d": true,
	"5a532e38-1581-4918-9658-008dc27c1d68": true,
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
	t.apps[app.str("id")] = app
	t.sps[sp.str("id")] = sp
	return app, sp
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
	sp.props["tags"] = append(sp.props["tags"].([]any), domain.ManagedTag)
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

// --- handlers ---------------------------------------------------------------

// instantiateTemplate: POST /applicationTemplates/{id}/instantiate.
func instantiateTemplate(c *call) *graphError {
	body, e := c.decodeObject()
	if e != nil {
		return e
	}
	name, _ := body["displayName"].(string)
	if strings.TrimSpace(name) == "" {
		return badRequest("Required property 'displayName' is missing or empty.")
	}
	if !knownTemplates[strings.ToLower(c.args[0])] {
		return notFound(c.args[0])
	}
	c.t.mu.Lock()
	app, sp := c.t.instantiate(strings.ToLower(c.args[0]), name, time.Time{})
	out := map[string]any{
		"@odata.context":   c.ctx("microsoft.graph.applicationServicePrincipal"),
		"application":      cloneProps(app.props),
		"servicePrincipal": c.t.renderSP(sp, false),
	}
	c.t.mu.Unlock()
	writeJSON(c.w, 201, out)
	return nil
}

// lookup finds an application or service principal by id or appId.
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
func getObject(c *call) *graphError {
	kind, id, appID := c.args[0], c.args[1], c.args[2]
	q, e := parseQuery(c.r, 0)
	if e != nil {
		return e
	}
	if e := checkSelect(kind, q.sel); e != nil {
		return e
	}
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	o := c.t.lookup(kind, id, appID)
	if o == nil {
		if appID != "" {
			return notFound(appID)
		}
		return notFound(id)
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
func listObjects(c *call) *graphError {
	kind := c.args[0]
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
	skip := 0
	if s := q.get("skiptoken"); s != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(s, "X'"))
		if err != nil || n < 0 {
			return badRequest("Invalid skiptoken '%s'.", s)
		}
		skip = n
	}
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
	out := map[string]any{"@odata.context": c.ctx(kind + q.selectSuffix())}
	if q.count && advanced(c.r, q) {
		out["@odata.count"] = len(matched)
	}
	end := min(skip+q.top, len(matched))
	page := []map[string]any{}
	if skip < len(matched) {
		page = matched[skip:end]
	}
	if end < len(matched) {
		out["@odata.nextLink"] = nextLink(c.base, c.r, strconv.Itoa(end))
	}
	out["value"] = page
	c.t.countPage(0)
	writeJSON(c.w, 200, out)
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
func patchObject(c *call) *graphError {
	kind, id, appID := c.args[0], c.args[1], c.args[2]
	body, e := c.decodeObject()
	if e != nil {
		return e
	}
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	o := c.t.lookup(kind, id, appID)
	if o == nil {
		if appID != "" {
			return notFound(appID)
		}
		return notFound(id)
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

// checkSPPatch validates preferredSingleSignOnMode and
// preferredTokenSigningKeyThumbprint.
func checkSPPatch(sp *object, body map[string]any) *graphError {
	for k, v := range body {
		switch strings.ToLower(k) {
		case "preferredsinglesignonmode":
			s, _ := v.(string)
			if v != nil && !slices.Contains([]string{"password", "saml", "notSupported", "oidc"}, s) {
				return badRequest("Invalid value specified for property 'preferredSingleSignOnMode' of resource 'ServicePrincipal'.")
			}
		case "preferredtokensigningkeythumbprint":
			s, _ := v.(string)
			if v == nil {
				continue
			}
			found := false
			for _, c := range sp.certs {
				if strings.EqualFold(c.thumbprint, s) {
					found = true
				}
			}
			if !found {
				return badRequest("Invalid value specified for property 'preferredTokenSigningKeyThumbprint' of resource 'ServicePrincipal': no signing certificate has the thumbprint '%s'.", s)
			}
		}
	}
	return nil
}
