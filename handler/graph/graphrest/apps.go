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

// FindAppServicePrincipal resolves the pinned Aircall app's service
// principal with the rule both Graph clients share (graphapi.ResolvePinned:
// by the pinned appId only, owned by Options.Owner's identity).
func (c *Client) FindAppServicePrincipal(ctx context.Context) (string, error) {
	if c.o.Pin == nil || c.o.Owner == nil {
		return "", domain.Errorf(domain.EINTERNAL, "graphrest: no pinned app source or owner wired")
	}
	pin, err := c.o.Pin(ctx)
	if err != nil {
		return "", err
	}
	owner, err := c.o.Owner(ctx)
	if err != nil {
		return "", err
	}
	return graphapi.ResolvePinned(ctx, appQuery{c}, pin, owner)
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
	v.Set("$select", "id,appId,displayName")
	v.Set("$top", "50")
	var page struct {
		Value []graphapi.AppMatch `json:"value"`
	}
	err := q.c.Get(ctx, "/v1.0/"+kind+"?"+v.Encode(), &page)
	return page.Value, err
}

// Owners lists the ids of an application's or service principal's owners
// (learn.microsoft.com/graph/api/application-list-owners,
// serviceprincipal-list-owners; one page: an app has few owners).
func (q appQuery) Owners(ctx context.Context, kind, id string) ([]string, error) {
	var page struct {
		Value []graphapi.AppMatch `json:"value"`
	}
	if err := q.c.Get(ctx, "/v1.0/"+kind+"/"+url.PathEscape(id)+"/owners?$select=id&$top=100", &page); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(page.Value))
	for _, o := range page.Value {
		ids = append(ids, o.ID)
	}
	return ids, nil
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
