package graphapi

import (
	"context"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// AppMatch is a service principal or application a finder query matched.
type AppMatch struct {
	ID    string `json:"id"`
	AppID string `json:"appId"`
}

// AppQuery runs the finder's queries: the service principals, and the
// applications, that match an OData $filter (up to 50 of each, ids and
// appIds only). Each Graph client implements it with its own requests.
type AppQuery interface {
	ServicePrincipals(ctx context.Context, filter string) ([]AppMatch, error)
	Applications(ctx context.Context, filter string) ([]AppMatch, error)
}

// FoundApp is the app FindApp settled on.
type FoundApp struct {
	// AppID is the app's appId, lower-case.
	AppID string
	// ServicePrincipalID is its service principal's id when a service
	// principal matched; "" when only the application did (an earlier run
	// stopped between tagging the two).
	ServicePrincipalID string
	// By says what found it: "appId …", "tag …" or "display name …".
	By string
}

// FindApp is the one rule that finds the Aircall app, for both clients: by
// l.AppID when set (and nothing else); otherwise the service principals and
// applications tagged domain.ManagedTag, then, when none is, the service
// principal (else application) named l.DisplayName. Several distinct apps
// matching one attempt is ECONFLICT (the finder does not guess); nothing
// matching any attempt is ENOTFOUND.
func FindApp(ctx context.Context, q AppQuery, l domain.AppLookup) (FoundApp, error) {
	type attempt struct{ what, filter string }
	var tries []attempt
	if l.AppID != "" {
		tries = append(tries, attempt{"appId " + l.AppID, "appId eq " + String(l.AppID)})
	} else {
		tries = append(tries, attempt{"tag " + domain.ManagedTag, "tags/any(t:t eq " + String(domain.ManagedTag) + ")"})
		if l.DisplayName != "" {
			tries = append(tries, attempt{"display name " + l.DisplayName, "displayName eq " + String(l.DisplayName)})
		}
	}
	for _, a := range tries {
		appIDs, spOf, err := matchApps(ctx, q, a.filter, strings.HasPrefix(a.filter, "tags/"))
		if err != nil {
			return FoundApp{}, err
		}
		switch len(appIDs) {
		case 0:
			continue
		case 1:
			return FoundApp{AppID: appIDs[0], ServicePrincipalID: spOf[appIDs[0]], By: a.what}, nil
		default:
			return FoundApp{}, domain.Errorf(domain.ECONFLICT, "%d enterprise apps match %s (appIds %s): delete or rename the extra ones, or set APP_ID to the right appId",
				len(appIDs), a.what, strings.Join(appIDs, ", "))
		}
	}
	looked := "appId " + l.AppID
	if l.AppID == "" {
		looked = "tag " + domain.ManagedTag
		if l.DisplayName != "" {
			looked += " and display name " + l.DisplayName
		}
	}
	return FoundApp{}, domain.Errorf(domain.ENOTFOUND, "no Aircall enterprise app in the tenant (looked for %s): run provision first, or set APP_ID", looked)
}

// matchApps returns the distinct appIds (lower-case, in Graph's order) of
// the service principals matching filter and, when none does or always is
// set, of the applications matching it; spOf maps an appId to its matching
// service principal's id.
func matchApps(ctx context.Context, q AppQuery, filter string, always bool) ([]string, map[string]string, error) {
	var out []string
	spOf := map[string]string{}
	seen := map[string]bool{}
	add := func(id string) {
		if v := strings.ToLower(id); v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sps, err := q.ServicePrincipals(ctx, filter)
	if err != nil {
		return nil, nil, err
	}
	for _, sp := range sps {
		add(sp.AppID)
		if k := strings.ToLower(sp.AppID); spOf[k] == "" {
			spOf[k] = sp.ID
		}
	}
	if len(out) > 0 && !always {
		return out, spOf, nil
	}
	apps, err := q.Applications(ctx, filter)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range apps {
		add(a.AppID)
	}
	return out, spOf, nil
}
