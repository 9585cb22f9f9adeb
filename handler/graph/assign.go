package graph

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Assignments implements domain.AppDirectory (every page).
func (c *Client) Assignments(ctx context.Context, spID string) ([]domain.AppAssignment, error) {
	b := c.sps().ByServicePrincipalId(spID).AppRoleAssignedTo()
	page, err := b.Get(ctx, &serviceprincipals.ItemAppRoleAssignedToRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ItemAppRoleAssignedToRequestBuilderGetQueryParameters{Top: ptr(int32(999))},
	})
	out := []domain.AppAssignment{}
	for err == nil {
		for _, a := range page.GetValue() {
			out = append(out, toAssignment(a))
		}
		next := page.GetOdataNextLink()
		if next == nil || *next == "" {
			return out, nil
		}
		page, err = b.WithUrl(*next).Get(ctx, nil)
	}
	return nil, mapError(err, "list the users and groups assigned to service principal "+spID, permRead)
}

func toAssignment(a models.AppRoleAssignmentable) domain.AppAssignment {
	out := domain.AppAssignment{ID: deref(a.GetId()), PrincipalType: deref(a.GetPrincipalType()), PrincipalName: deref(a.GetPrincipalDisplayName())}
	if id := a.GetPrincipalId(); id != nil {
		out.PrincipalID = id.String()
	}
	if id := a.GetAppRoleId(); id != nil {
		out.AppRoleID = id.String()
	}
	return out
}

// Assign implements domain.AppDirectory. A principal that already holds the
// role is not an error: the existing assignment is returned.
func (c *Client) Assign(ctx context.Context, spID, principalID, roleID string) (domain.AppAssignment, error) {
	pid, err := uuid.Parse(principalID)
	if err != nil {
		return domain.AppAssignment{}, domain.FieldError("assign", "must hold user or group object ids (GUIDs), got %q", principalID)
	}
	rid, err := uuid.Parse(roleID)
	if err != nil {
		return domain.AppAssignment{}, domain.Errorf(domain.EINTERNAL, "app role id %q is not a GUID", roleID)
	}
	sid, err := uuid.Parse(spID)
	if err != nil {
		return domain.AppAssignment{}, domain.Errorf(domain.EINTERNAL, "service principal id %q is not a GUID", spID)
	}
	body := models.NewAppRoleAssignment()
	body.SetPrincipalId(&pid)
	body.SetResourceId(&sid)
	body.SetAppRoleId(&rid)
	a, err := c.sps().ByServicePrincipalId(spID).AppRoleAssignedTo().Post(ctx, body, nil)
	if err == nil {
		c.log.Info("assigned a principal to the app", "servicePrincipalId", spID, "principalId", principalID)
		return toAssignment(a), nil
	}
	f, ok := failure(err)
	if ok && f.Status == 400 && strings.Contains(strings.ToLower(f.Message), "already exists") {
		all, lerr := c.Assignments(ctx, spID)
		if lerr == nil {
			for _, x := range all {
				if strings.EqualFold(x.PrincipalID, principalID) && strings.EqualFold(x.AppRoleID, roleID) {
					return x, nil
				}
			}
		}
	}
	if ok && (f.Status == 404 || (f.Status == 400 && strings.Contains(strings.ToLower(f.Message), "does not exist"))) {
		return domain.AppAssignment{}, &domain.Error{Code: domain.EINVALID, Field: "assign",
			Message: "no user or group has the object id " + principalID + " (Graph: " + f.Message + ")", Err: err}
	}
	return domain.AppAssignment{}, mapError(err, "assign "+principalID+" to service principal "+spID, permAssign)
}
