package graph

import (
	"context"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
)

// Owners: the pinned app must be owned by the deployment's identity
// (docs/security.md, "Which app is ours"). Reading owners needs
// Application.Read.All (learn.microsoft.com/graph/api/application-list-owners,
// serviceprincipal-list-owners); adding one needs Application.ReadWrite.All
// and Directory.Read.All — "Application.ReadWrite.OwnedBy isn't sufficient
// to add another owner" (learn.microsoft.com/graph/api/application-post-owners,
// serviceprincipal-post-owners) — so only an operator identity adds owners.
const permOwners = "Application.ReadWrite.All and Directory.Read.All (an operator identity: `handler provision --adopt`)"

// Owners implements domain.AppDirectory.
func (c *Client) Owners(ctx context.Context, objectID, spID string) (domain.AppOwners, error) {
	q := appQuery{c}
	var out domain.AppOwners
	var err error
	if out.Application, err = q.Owners(ctx, "applications", objectID); err != nil {
		return out, err
	}
	out.ServicePrincipal, err = q.Owners(ctx, "servicePrincipals", spID)
	return out, err
}

// Owners lists the ids of an application's or service principal's owners
// (one page of up to 100: an app has few owners).
func (q appQuery) Owners(ctx context.Context, kind, id string) ([]string, error) {
	sel, top := []string{"id"}, ptr(int32(100))
	var objs []models.DirectoryObjectable
	switch kind {
	case "applications":
		page, err := q.c.apps().ByApplicationId(id).Owners().Get(ctx, &applications.ItemOwnersRequestBuilderGetRequestConfiguration{
			QueryParameters: &applications.ItemOwnersRequestBuilderGetQueryParameters{Select: sel, Top: top}})
		if err != nil {
			return nil, mapError(err, "list the owners of application "+id, permRead)
		}
		objs = page.GetValue()
	default:
		page, err := q.c.sps().ByServicePrincipalId(id).Owners().Get(ctx, &serviceprincipals.ItemOwnersRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipals.ItemOwnersRequestBuilderGetQueryParameters{Select: sel, Top: top}})
		if err != nil {
			return nil, mapError(err, "list the owners of service principal "+id, permRead)
		}
		objs = page.GetValue()
	}
	ids := make([]string, 0, len(objs))
	for _, o := range objs {
		ids = append(ids, deref(o.GetId()))
	}
	return ids, nil
}

// AddOwner implements domain.AppDirectory: POST …/owners/$ref on the
// application and on the service principal where ownerID is missing.
func (c *Client) AddOwner(ctx context.Context, objectID, spID, ownerID string) error {
	if !domain.IsGUID(ownerID) {
		return domain.FieldError(domain.SettingAppOwner, "must be the object id (a GUID) of the identity that owns the app, got %q", ownerID)
	}
	have, err := c.Owners(ctx, objectID, spID)
	if err != nil {
		return err
	}
	ref := models.NewReferenceCreate()
	ref.SetOdataId(ptr(c.base + "/directoryObjects/" + ownerID))
	if !hasFold(have.Application, ownerID) {
		if err := c.apps().ByApplicationId(objectID).Owners().Ref().Post(ctx, ref, nil); err != nil {
			return mapError(err, "add "+ownerID+" as an owner of application "+objectID, permOwners)
		}
		c.log.Info("added an owner to the application", "objectId", objectID, "owner", ownerID)
	}
	if !hasFold(have.ServicePrincipal, ownerID) {
		if err := c.sps().ByServicePrincipalId(spID).Owners().Ref().Post(ctx, ref, nil); err != nil {
			return mapError(err, "add "+ownerID+" as an owner of service principal "+spID, permOwners)
		}
		c.log.Info("added an owner to the service principal", "servicePrincipalId", spID, "owner", ownerID)
	}
	return nil
}

// LookAlikes implements domain.AppDirectory with the rule both Graph
// clients share (graphapi.LookAlikes).
func (c *Client) LookAlikes(ctx context.Context, exceptAppID, displayName string) ([]domain.LookAlike, error) {
	return graphapi.LookAlikes(ctx, appQuery{c}, exceptAppID, displayName)
}

func hasFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// CallerObjectID returns the object id (the oid claim) of the identity cred
// gets Graph tokens for: the managed identity's service principal in Azure,
// the signed-in operator with the Azure CLI. It is read from our own token,
// not verified (Graph verifies it); "Microsoft identity platform access
// tokens" documents oid as the caller's object id
// (learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
func CallerObjectID(ctx context.Context, cred azcore.TokenCredential, graphRoot string) (string, error) {
	u, err := url.Parse(graphRoot)
	if err != nil || u.Host == "" {
		return "", domain.FieldError("GRAPH_BASE_URL", "must be an absolute URL, got %q", graphRoot)
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{graphapi.Scope(u)}})
	if err != nil {
		return "", domain.Wrap(domain.EUNAVAILABLE, err, "could not get a Graph token to learn this identity's object id: set %s", domain.SettingAppOwner)
	}
	return graphapi.TokenObjectID(tok.Token)
}
