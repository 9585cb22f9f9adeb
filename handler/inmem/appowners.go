package inmem

import (
	"context"
	"sort"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// LookAlikes implements domain.AppDirectory.
func (d *AppDirectory) LookAlikes(ctx context.Context, exceptAppID, displayName string) ([]domain.LookAlike, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "LookAlikes"); err != nil {
		return nil, err
	}
	var out []domain.LookAlike
	for _, a := range d.apps {
		if strings.EqualFold(a.AppID, exceptAppID) {
			continue
		}
		l := domain.LookAlike{AppID: strings.ToLower(a.AppID), DisplayName: a.DisplayName}
		if hasTag(a.ServicePrincipalTags) || hasTag(a.Tags) {
			l.Why = append(l.Why, "tag "+domain.ManagedTag)
		}
		if contains(a.IdentifierURIs, domain.AircallEntityID) {
			l.Why = append(l.Why, "identifier URI "+domain.AircallEntityID)
		}
		if displayName != "" && a.DisplayName == displayName {
			l.Why = append(l.Why, "display name "+displayName)
		}
		if len(l.Why) > 0 {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AppID < out[j].AppID })
	return out, nil
}

// Owners implements domain.AppDirectory.
func (d *AppDirectory) Owners(ctx context.Context, objectID, spID string) (domain.AppOwners, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "Owners"); err != nil {
		return domain.AppOwners{}, err
	}
	a, ok := d.apps[objectID]
	if !ok || a.ServicePrincipalID != spID {
		return domain.AppOwners{}, domain.Errorf(domain.ENOTFOUND, "application %s with service principal %s does not exist", objectID, spID)
	}
	o := d.ownersOf(objectID)
	return domain.AppOwners{Application: append([]string{}, o.Application...), ServicePrincipal: append([]string{}, o.ServicePrincipal...)}, nil
}

// AddOwner implements domain.AppDirectory.
func (d *AppDirectory) AddOwner(ctx context.Context, objectID, spID, ownerID string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "AddOwner"); err != nil {
		return err
	}
	a, ok := d.apps[objectID]
	if !ok || a.ServicePrincipalID != spID {
		return domain.Errorf(domain.ENOTFOUND, "application %s with service principal %s does not exist", objectID, spID)
	}
	o := d.ownersOf(objectID)
	if !contains(o.Application, ownerID) {
		o.Application = append(o.Application, ownerID)
	}
	if !contains(o.ServicePrincipal, ownerID) {
		o.ServicePrincipal = append(o.ServicePrincipal, ownerID)
	}
	return nil
}

// SetOwners replaces an app's owners (tests: a look-alike someone else owns).
func (d *AppDirectory) SetOwners(objectID string, o domain.AppOwners) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.owners[objectID] = &o
}

func (d *AppDirectory) ownersOf(objectID string) *domain.AppOwners {
	o := d.owners[objectID]
	if o == nil {
		o = &domain.AppOwners{}
		d.owners[objectID] = o
	}
	return o
}
