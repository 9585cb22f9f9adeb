package graphrest

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
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
// principal id: by appId when Options.AppID is set, else by
// domain.ManagedTag, else by display name; ENOTFOUND when none matches.
func (c *Client) FindAppServicePrincipal(ctx context.Context) (string, error) {
	var filters []string
	if c.o.AppID != "" {
		filters = append(filters, "appId eq "+ODataString(c.o.AppID))
	}
	filters = append(filters, "tags/any(t:t eq "+ODataString(domain.ManagedTag)+")")
	if c.o.DisplayName != "" {
		filters = append(filters, "displayName eq "+ODataString(c.o.DisplayName))
	}
	for _, f := range filters {
		v := url.Values{}
		v.Set("$filter", f)
		v.Set("$select", "id,appId,displayName")
		var ids []string
		_, _, err := c.page(ctx, "/v1.0/servicePrincipals?"+v.Encode(), nil, func(dec *json.Decoder) error {
			var sp struct {
				ID string `json:"id"`
			}
			if err := dec.Decode(&sp); err != nil {
				return err
			}
			ids = append(ids, sp.ID)
			return nil
		})
		if err != nil {
			return "", err
		}
		if len(ids) > 0 {
			return ids[0], nil
		}
	}
	return "", domain.Errorf(domain.ENOTFOUND, "the Aircall enterprise app was not found in the tenant: run provision first, or set APP_ID")
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
