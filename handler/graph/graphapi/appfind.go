package graphapi

import (
	"context"
	"slices"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// AppMatch is a service principal or application a finder query matched.
type AppMatch struct {
	ID          string `json:"id"`
	AppID       string `json:"appId"`
	DisplayName string `json:"displayName"`
}

// AppQuery runs the finder's queries: the service principals, and the
// applications, that match an OData $filter (up to 50 of each), and the
// owners of one object (kind "applications" or "servicePrincipals"). Each
// Graph client implements it with its own requests.
type AppQuery interface {
	ServicePrincipals(ctx context.Context, filter string) ([]AppMatch, error)
	Applications(ctx context.Context, filter string) ([]AppMatch, error)
	Owners(ctx context.Context, kind, id string) ([]string, error)
}

// FoundApp is the app FindApp settled on.
type FoundApp struct {
	// AppID is the app's appId, lower-case.
	AppID string
	// ServicePrincipalID is its service principal's id ("" when the
	// application has none).
	ServicePrincipalID string
}

// FindApp is the one rule that finds the Aircall app, for both clients: by
// its appId, and nothing else — never by tag or display name, which anyone
// who can register an app can copy (docs/security.md, "Which app is ours").
// ENOTFOUND when no application has that appId.
func FindApp(ctx context.Context, q AppQuery, appID string) (FoundApp, error) {
	if !domain.IsGUID(appID) {
		return FoundApp{}, domain.Errorf(domain.EINVALID, "the Aircall app's appId %q is not a GUID", appID)
	}
	filter := "appId eq " + String(appID)
	sps, err := q.ServicePrincipals(ctx, filter)
	if err != nil {
		return FoundApp{}, err
	}
	if len(sps) > 0 {
		return FoundApp{AppID: strings.ToLower(sps[0].AppID), ServicePrincipalID: sps[0].ID}, nil
	}
	apps, err := q.Applications(ctx, filter)
	if err != nil {
		return FoundApp{}, err
	}
	if len(apps) == 0 {
		return FoundApp{}, domain.Errorf(domain.ENOTFOUND, "no application in the tenant has the pinned appId %s (deleted?): an operator pins another with `handler provision --adopt <appId>`", appID)
	}
	return FoundApp{AppID: strings.ToLower(apps[0].AppID)}, nil
}

// ResolvePinned finds the pinned app for a job that reads it (audit,
// diagnose): by the pinned appId only; its service principal must be the
// pinned one, and both objects must be owned by ownerID
// (domain.CheckOwned). It returns the service principal's id.
func ResolvePinned(ctx context.Context, q AppQuery, pin domain.PinnedApp, ownerID string) (string, error) {
	found, err := FindApp(ctx, q, pin.AppID)
	if err != nil {
		return "", err
	}
	if found.ServicePrincipalID == "" || !strings.EqualFold(found.ServicePrincipalID, pin.ServicePrincipalID) {
		return "", domain.Errorf(domain.ECONFLICT, "the pinned Aircall app %s has service principal %q, not the pinned %s: an operator re-pins it with `handler provision --adopt %s`",
			pin.AppID, found.ServicePrincipalID, pin.ServicePrincipalID, pin.AppID)
	}
	appOwners, err := q.Owners(ctx, "applications", pin.ObjectID)
	if err != nil {
		return "", err
	}
	spOwners, err := q.Owners(ctx, "servicePrincipals", found.ServicePrincipalID)
	if err != nil {
		return "", err
	}
	if err := domain.CheckOwned(pin.AppID, appOwners, spOwners, ownerID); err != nil {
		return "", err
	}
	return found.ServicePrincipalID, nil
}

// LookAlikes lists the apps other than exceptAppID that look like the
// Aircall app: tagged domain.ManagedTag, with Aircall's identifier URI, or
// named displayName (application filters: the application resource's
// tags, identifierUris and displayName support $filter with any/eq,
// learn.microsoft.com/graph/api/resources/application). Each is reported
// as an app.look-alike finding, never used.
func LookAlikes(ctx context.Context, q AppQuery, exceptAppID, displayName string) ([]domain.LookAlike, error) {
	type probe struct {
		why, filter string
		sps         bool
	}
	probes := []probe{
		{"tag " + domain.ManagedTag, "tags/any(t:t eq " + String(domain.ManagedTag) + ")", true},
		{"tag " + domain.ManagedTag, "tags/any(t:t eq " + String(domain.ManagedTag) + ")", false},
		{"identifier URI " + domain.AircallEntityID, "identifierUris/any(u:u eq " + String(domain.AircallEntityID) + ")", false},
	}
	if strings.TrimSpace(displayName) != "" {
		probes = append(probes, probe{"display name " + displayName, "displayName eq " + String(displayName), false})
	}
	byApp := map[string]*domain.LookAlike{}
	var order []string
	for _, p := range probes {
		list := q.Applications
		if p.sps {
			list = q.ServicePrincipals
		}
		matches, err := list(ctx, p.filter)
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			id := strings.ToLower(m.AppID)
			if id == "" || strings.EqualFold(id, exceptAppID) {
				continue
			}
			l := byApp[id]
			if l == nil {
				l = &domain.LookAlike{AppID: id, DisplayName: m.DisplayName}
				byApp[id] = l
				order = append(order, id)
			}
			if !slices.Contains(l.Why, p.why) {
				l.Why = append(l.Why, p.why)
			}
		}
	}
	out := make([]domain.LookAlike, 0, len(order))
	for _, id := range order {
		out = append(out, *byApp[id])
	}
	return out, nil
}
