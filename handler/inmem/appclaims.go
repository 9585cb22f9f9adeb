package inmem

import (
	"context"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// The claim and assignment half of AppDirectory.

// EmailClaim implements domain.AppDirectory.
func (d *AppDirectory) EmailClaim(ctx context.Context, spID string) (domain.EmailClaimState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "EmailClaim"); err != nil {
		return domain.EmailClaimState{}, err
	}
	if _, err := d.bySP(spID); err != nil {
		return domain.EmailClaimState{}, err
	}
	return d.claimState(spID), nil
}

func (d *AppDirectory) claimState(spID string) domain.EmailClaimState {
	if pid, ok := d.attached[spID]; ok {
		p := d.policies[pid]
		return domain.EmailClaimState{ClaimConfig: domain.ClaimConfig{Source: p.src, Origin: domain.ClaimOriginMappingPolicy}, PolicyID: p.id, PolicyName: p.name}
	}
	return domain.EmailClaimState{ClaimConfig: domain.ClaimConfig{Source: domain.ClaimFromMail, Origin: domain.ClaimOriginDefault}}
}

// SetEmailClaim implements domain.AppDirectory.
// Like the Graph adapter it never searches the tenant's policies by name:
// the attached one or knownPolicyID is reused, else a new one is created.
func (d *AppDirectory) SetEmailClaim(ctx context.Context, spID string, src domain.ClaimSource, name, knownPolicyID string) (domain.EmailClaimState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "SetEmailClaim"); err != nil {
		return domain.EmailClaimState{}, err
	}
	if _, err := d.bySP(spID); err != nil {
		return domain.EmailClaimState{}, err
	}
	var pol *mappingPolicy
	for _, id := range []string{d.attached[spID], knownPolicyID} {
		if p := d.policies[id]; p != nil && p.name == name && p.src == src {
			pol = p
			break
		}
	}
	if pol == nil {
		pol = &mappingPolicy{id: newGUID(), name: name, src: src}
		d.policies[pol.id] = pol
	}
	d.attached[spID] = pol.id
	return d.claimState(spID), nil
}

// Assignments implements domain.AppDirectory.
func (d *AppDirectory) Assignments(ctx context.Context, spID string) ([]domain.AppAssignment, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "Assignments"); err != nil {
		return nil, err
	}
	if _, err := d.bySP(spID); err != nil {
		return nil, err
	}
	return append([]domain.AppAssignment{}, d.assigned[spID]...), nil
}

// Assign implements domain.AppDirectory. Assigning the same principal and
// role twice fails, as in Entra ID.
func (d *AppDirectory) Assign(ctx context.Context, spID, principalID, roleID string) (domain.AppAssignment, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "Assign"); err != nil {
		return domain.AppAssignment{}, err
	}
	a, err := d.bySP(spID)
	if err != nil {
		return domain.AppAssignment{}, err
	}
	kind, ok := d.principals[strings.ToLower(principalID)]
	if !ok {
		return domain.AppAssignment{}, domain.FieldError("assign", "no user or group has the object id %s", principalID)
	}
	okRole := roleID == domain.DefaultAccessRoleID && len(a.AppRoles) == 0
	for _, r := range a.AppRoles {
		okRole = okRole || r.ID == roleID
	}
	if !okRole {
		return domain.AppAssignment{}, domain.Errorf(domain.EUPSTREAM, "app role %s does not exist on the app", roleID)
	}
	for _, x := range d.assigned[spID] {
		if strings.EqualFold(x.PrincipalID, principalID) && x.AppRoleID == roleID {
			return domain.AppAssignment{}, domain.Errorf(domain.ECONFLICT, "principal %s already holds role %s", principalID, roleID)
		}
	}
	as := domain.AppAssignment{ID: newGUID(), PrincipalID: strings.ToLower(principalID), PrincipalType: kind, AppRoleID: roleID}
	d.assigned[spID] = append(d.assigned[spID], as)
	return as, nil
}
