package graphrest

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
)

// AppServicePrincipal finds the Aircall app's service principal (see
// FindAppServicePrincipal); the answer is kept for the Client's lifetime.
func (c *Client) AppServicePrincipal(ctx context.Context) (string, error) {
	c.spMu.Lock()
	defer c.spMu.Unlock()
	if c.spID != "" {
		return c.spID, nil
	}
	id, err := c.FindAppServicePrincipal(ctx)
	if err == nil {
		c.spID = id
	}
	return id, err
}

// FindAppServicePrincipal asks Graph for the Aircall app's service
// principal id with the finder rule both Graph clients share
// (graphapi.FindApp: by Options.AppID when set, else by domain.ManagedTag,
// else by display name); ENOTFOUND when none matches, ECONFLICT when
// several do.
func (c *Client) FindAppServicePrincipal(ctx context.Context) (string, error) {
	q := appQuery{c}
	found, err := graphapi.FindApp(ctx, q, domain.AppLookup{AppID: c.o.AppID, DisplayName: c.o.DisplayName})
	if err != nil || found.ServicePrincipalID != "" {
		return found.ServicePrincipalID, err
	}
	// Only the application matched: its service principal is not tagged yet.
	sps, err := q.ServicePrincipals(ctx, "appId eq "+graphapi.String(found.AppID))
	if err != nil {
		return "", err
	}
	if len(sps) == 0 {
		return "", domain.Errorf(domain.ENOTFOUND, "the application with appId %s has no enterprise app (service principal): create it in the Entra admin center or run provision again", found.AppID)
	}
	return sps[0].ID, nil
}

// appQuery runs the finder's queries as point reads.
type appQuery struct{ c *Client }

func (q appQuery) ServicePrincipals(ctx context.Context, filter string) ([]graphapi.AppMatch, error) {
	return q.list(ctx, "servicePrincipals", filter)
}

func (q appQuery) Applications(ctx context.Context, filter string) ([]graphapi.AppMatch, error) {
	return q.list(ctx, "applications", filter)
}

func (q appQuery) list(ctx context.Context, kind, filter string) ([]graphapi.AppMatch, error) {
	v := url.Values{}
	v.Set("$filter", filter)
	v.Set("$select", "id,appId")
	v.Set("$top", "50")
	var page struct {
		Value []graphapi.AppMatch `json:"value"`
	}
	err := q.c.Get(ctx, "/v1.0/"+kind+"?"+v.Encode(), &page)
	return page.Value, err
}

// AppAssignments reads one page of the users and groups assigned to the
// service principal.
func (c *Client) AppAssignments(ctx context.Context, spID, link string, fn func(domain.AppAssignment) error) (PageInfo, error) {
	if link == "" {
		link = "/v1.0/servicePrincipals/" + url.PathEscape(spID) + "/appRoleAssignedTo?$top=" + c.top
	}
	info, _, err := c.page(ctx, link, nil, func(dec *json.Decoder) error {
		var a struct {
			ID                   string `json:"id"`
			PrincipalID          string `json:"principalId"`
			PrincipalType        string `json:"principalType"`
			PrincipalDisplayName string `json:"principalDisplayName"`
			AppRoleID            string `json:"appRoleId"`
		}
		if err := dec.Decode(&a); err != nil {
			return err
		}
		if err := fn(domain.AppAssignment{ID: a.ID, PrincipalID: a.PrincipalID, PrincipalType: a.PrincipalType,
			PrincipalName: a.PrincipalDisplayName, AppRoleID: a.AppRoleID}); err != nil {
			return callbackError{err}
		}
		return nil
	})
	return info, err
}

// GroupMembers reads one page of a group's direct members (ids and types
// only: the users themselves are read by the user scan).
func (c *Client) GroupMembers(ctx context.Context, groupID, link string, fn func(domain.DirectoryMember) error) (PageInfo, error) {
	if link == "" {
		link = "/v1.0/groups/" + url.PathEscape(groupID) + "/members?$select=id&$top=" + c.top
	}
	var m struct {
		Type string `json:"@odata.type"`
		ID   string `json:"id"`
	}
	info, _, err := c.page(ctx, link, nil, func(dec *json.Decoder) error {
		m.Type, m.ID = "", ""
		if err := dec.Decode(&m); err != nil {
			return err
		}
		typ := strings.TrimPrefix(m.Type, "#microsoft.graph.")
		if err := fn(domain.DirectoryMember{ID: m.ID, Type: typ}); err != nil {
			return callbackError{err}
		}
		return nil
	})
	return info, err
}
