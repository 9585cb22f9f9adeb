package graph

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
)

// Graph permissions named in EFORBIDDEN errors.
const (
	permRead      = "Application.Read.All"
	permWrite     = "Application.ReadWrite.OwnedBy (or Application.ReadWrite.All for an app the identity does not own)"
	permPolicy    = "Policy.ReadWrite.ApplicationConfiguration and Policy.Read.All"
	permAssign    = "AppRoleAssignment.ReadWrite.All"
	permInstanti  = "Application.ReadWrite.OwnedBy"
	appSelect     = "id,appId,displayName,tags,identifierUris,web,appRoles"
	spSelect      = "id,appId,displayName,tags,preferredSingleSignOnMode,preferredTokenSigningKeyThumbprint,keyCredentials,appRoles,loginUrl"
	spListSelect  = "id,appId,displayName,tags"
	appListSelect = "id,appId,displayName,tags"
)

func (c *Client) apps() *applications.ApplicationsRequestBuilder {
	return applications.NewApplicationsRequestBuilderInternal(c.params(), c.adapter)
}

func (c *Client) sps() *serviceprincipals.ServicePrincipalsRequestBuilder {
	return serviceprincipals.NewServicePrincipalsRequestBuilderInternal(c.params(), c.adapter)
}

// FindApp implements domain.AppDirectory with the finder rule both Graph
// clients share (graphapi.FindApp: by appId only), then reads the app.
func (c *Client) FindApp(ctx context.Context, l domain.AppLookup) (domain.App, error) {
	found, err := graphapi.FindApp(ctx, appQuery{c}, l.AppID)
	if err != nil {
		return domain.App{}, err
	}
	return c.getByAppID(ctx, found.AppID)
}

// appQuery runs the finder's queries through the SDK.
type appQuery struct{ c *Client }

func (q appQuery) ServicePrincipals(ctx context.Context, filter string) ([]graphapi.AppMatch, error) {
	sps, err := q.c.sps().Get(ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{Filter: &filter, Select: strings.Split(spListSelect, ","), Top: ptr(int32(50))},
	})
	if err != nil {
		return nil, mapError(err, "list service principals ("+filter+")", permRead)
	}
	var out []graphapi.AppMatch
	for _, sp := range sps.GetValue() {
		out = append(out, graphapi.AppMatch{ID: deref(sp.GetId()), AppID: deref(sp.GetAppId()), DisplayName: deref(sp.GetDisplayName())})
	}
	return out, nil
}

func (q appQuery) Applications(ctx context.Context, filter string) ([]graphapi.AppMatch, error) {
	apps, err := q.c.apps().Get(ctx, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Filter: &filter, Select: strings.Split(appListSelect, ","), Top: ptr(int32(50))},
	})
	if err != nil {
		return nil, mapError(err, "list applications ("+filter+")", permRead)
	}
	var out []graphapi.AppMatch
	for _, a := range apps.GetValue() {
		out = append(out, graphapi.AppMatch{ID: deref(a.GetId()), AppID: deref(a.GetAppId()), DisplayName: deref(a.GetDisplayName())})
	}
	return out, nil
}

// getByAppID reads the application and service principal with appID.
func (c *Client) getByAppID(ctx context.Context, appID string) (domain.App, error) {
	filter := "appId eq " + graphapi.String(appID)
	apps, err := c.apps().Get(ctx, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Filter: &filter, Select: []string{"id"}},
	})
	if err != nil {
		return domain.App{}, mapError(err, "find the application with appId "+appID, permRead)
	}
	sps, err := c.sps().Get(ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{Filter: &filter, Select: []string{"id"}},
	})
	if err != nil {
		return domain.App{}, mapError(err, "find the service principal with appId "+appID, permRead)
	}
	if len(apps.GetValue()) == 0 {
		return domain.App{}, domain.Errorf(domain.ENOTFOUND, "the application with appId %s is not in this tenant (an app from another tenant cannot be configured here)", appID)
	}
	if len(sps.GetValue()) == 0 {
		return domain.App{}, domain.Errorf(domain.ENOTFOUND, "the application with appId %s has no enterprise app (service principal): create it in the Entra admin center or delete the application and run provision again", appID)
	}
	return c.GetApp(ctx, deref(apps.GetValue()[0].GetId()), deref(sps.GetValue()[0].GetId()))
}

// GetApp implements domain.AppDirectory.
func (c *Client) GetApp(ctx context.Context, objectID, spID string) (domain.App, error) {
	a, err := c.apps().ByApplicationId(objectID).Get(ctx, &applications.ApplicationItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationItemRequestBuilderGetQueryParameters{Select: strings.Split(appSelect, ",")},
	})
	if err != nil {
		return domain.App{}, mapError(err, "read application "+objectID, permRead)
	}
	sp, err := c.sps().ByServicePrincipalId(spID).Get(ctx, &serviceprincipals.ServicePrincipalItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalItemRequestBuilderGetQueryParameters{Select: strings.Split(spSelect, ",")},
	})
	if err != nil {
		return domain.App{}, mapError(err, "read service principal "+spID, permRead)
	}
	return toApp(a, sp), nil
}

func toApp(a models.Applicationable, sp models.ServicePrincipalable) domain.App {
	out := domain.App{
		ObjectID: deref(a.GetId()), AppID: deref(a.GetAppId()), ServicePrincipalID: deref(sp.GetId()),
		DisplayName: deref(a.GetDisplayName()), Tags: a.GetTags(), ServicePrincipalTags: sp.GetTags(),
		IdentifierURIs: nonNil(a.GetIdentifierUris()), RedirectURIs: []string{},
		SSOMode:             deref(sp.GetPreferredSingleSignOnMode()),
		PreferredThumbprint: strings.ToUpper(deref(sp.GetPreferredTokenSigningKeyThumbprint())),
		LoginURL:            deref(sp.GetLoginUrl()),
	}
	if w := a.GetWeb(); w != nil {
		out.RedirectURIs = nonNil(w.GetRedirectUris())
	}
	roles := a.GetAppRoles()
	if len(roles) == 0 {
		roles = sp.GetAppRoles()
	}
	for _, r := range roles {
		role := domain.AppRole{Value: deref(r.GetValue()), DisplayName: deref(r.GetDisplayName()), Enabled: r.GetIsEnabled() == nil || *r.GetIsEnabled()}
		if id := r.GetId(); id != nil {
			role.ID = id.String()
		}
		for _, m := range r.GetAllowedMemberTypes() {
			role.ForUsers = role.ForUsers || strings.EqualFold(m, "User")
		}
		out.AppRoles = append(out.AppRoles, role)
	}
	for _, k := range sp.GetKeyCredentials() {
		if !strings.EqualFold(deref(k.GetUsage()), "Verify") {
			continue
		}
		c := domain.SigningCertificate{Subject: deref(k.GetDisplayName()), Thumbprint: thumbprint(k)}
		if id := k.GetKeyId(); id != nil {
			c.KeyID = id.String()
		}
		if t := k.GetStartDateTime(); t != nil {
			c.NotBefore = t.UTC()
		}
		if t := k.GetEndDateTime(); t != nil {
			c.NotAfter = t.UTC()
		}
		if c.Thumbprint != "" {
			out.Certificates = append(out.Certificates, c)
		}
	}
	return out
}

// thumbprint is the certificate's SHA-1 in upper-case hex: from the key
// itself when Graph returned it, else customKeyIdentifier (the same 20 bytes).
func thumbprint(k models.KeyCredentialable) string {
	if key := k.GetKey(); len(key) > 0 {
		sum := sha1.Sum(key)
		return strings.ToUpper(hex.EncodeToString(sum[:]))
	}
	if id := k.GetCustomKeyIdentifier(); len(id) == sha1.Size {
		return strings.ToUpper(hex.EncodeToString(id))
	}
	return ""
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func withTag(tags []string) []string {
	for _, t := range tags {
		if strings.EqualFold(t, domain.ManagedTag) {
			return tags
		}
	}
	return append(append([]string(nil), tags...), domain.ManagedTag)
}

// PatchServicePrincipal implements domain.AppDirectory.
func (c *Client) PatchServicePrincipal(ctx context.Context, spID string, p domain.ServicePrincipalPatch) error {
	body := models.NewServicePrincipal()
	if p.SSOMode != nil {
		body.SetPreferredSingleSignOnMode(p.SSOMode)
	}
	if p.PreferredThumbprint != nil {
		body.SetPreferredTokenSigningKeyThumbprint(p.PreferredThumbprint)
	}
	if p.Tags != nil {
		body.SetTags(p.Tags)
	}
	if p.LoginURL != nil && *p.LoginURL != "" {
		body.SetLoginUrl(p.LoginURL)
	}
	_, err := c.sps().ByServicePrincipalId(spID).Patch(ctx, body, nil)
	return mapError(err, "update service principal "+spID, permWrite)
}

// PatchApplication implements domain.AppDirectory. A refused identifier URI
// becomes EUNPROCESSABLE with a *domain.IdentifierURIRefusedError cause.
func (c *Client) PatchApplication(ctx context.Context, objectID string, p domain.ApplicationPatch) error {
	body := models.NewApplication()
	if p.IdentifierURIs != nil {
		body.SetIdentifierUris(p.IdentifierURIs)
	}
	if p.RedirectURIs != nil {
		web := models.NewWebApplication()
		web.SetRedirectUris(p.RedirectURIs)
		body.SetWeb(web)
	}
	if p.Tags != nil {
		body.SetTags(p.Tags)
	}
	_, err := c.apps().ByApplicationId(objectID).Patch(ctx, body, nil)
	if err == nil {
		return nil
	}
	if p.IdentifierURIs != nil {
		if f, ok := failure(err); ok && isIdentifierURIRefusal(f) {
			uri := strings.Join(p.IdentifierURIs, ", ")
			c.log.Warn("identifier URI refused by tenant policy", "uri", uri, "graphCode", f.Code)
			return &domain.Error{Code: domain.EUNPROCESSABLE,
				Message: "the tenant's identifier-URI policy refused " + uri + " (Graph: " + f.Message + ")",
				Err:     &domain.IdentifierURIRefusedError{URI: uri, GraphCode: f.Code, GraphMessage: f.Message}}
		}
	}
	return mapError(err, "update application "+objectID, permWrite)
}

// isIdentifierURIRefusal recognises the answers of the verified-domain check
// and of the app management policy's identifier-URI restrictions.
func isIdentifierURIRefusal(f *graphapi.Failure) bool {
	if f.Status != 400 && f.Status != 403 && f.Status != 422 {
		return false
	}
	switch f.Code {
	case "HostNameNotOnVerifiedDomain", "InvalidUniqueTenantIdentifierAsPerAppPolicy", "InvalidIdentifierUriAsPerAppPolicy":
		return true
	}
	m := strings.ToLower(f.Message)
	return strings.Contains(m, "identifier uri") || strings.Contains(m, "identifieruris") || strings.Contains(m, "aka.ms/identifier-uri")
}
