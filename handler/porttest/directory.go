package porttest

import (
	"context"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// DirectorySeed is the tenant the UserDirectory suite expects: the
// constructor given to UserDirectory must return a directory holding exactly
// this (for the Graph adapter: a simulator seeded with it).
type DirectorySeed struct {
	Users []domain.User
	// AssignedUsers are object ids of users assigned directly to the app.
	AssignedUsers []string
	// Groups maps a group id to its display name and direct member ids.
	Groups map[string]SeedGroup
	// AssignedGroups are object ids of groups assigned to the app.
	AssignedGroups []string
	// Claim is the app's email claim configuration.
	Claim domain.ClaimConfig
}

// SeedGroup is a group of a DirectorySeed.
type SeedGroup struct {
	Name    string
	Members []string
}

// StandardDirectorySeed returns the tenant the suite checks against: a
// directly assigned user, a direct member of an assigned group, a member of a
// group nested in an assigned group (not assigned, as in Entra ID), a user
// with a different mail, a guest, a disabled user, and a claim from the UPN.
func StandardDirectorySeed() DirectorySeed {
	return DirectorySeed{
		Users: []domain.User{
			{ID: "00000000-0000-0000-0000-00000000000a", UserPrincipalName: "ann@contoso.com", Mail: "ann.smith@contoso.com", DisplayName: "Ann Smith", AccountEnabled: true, UserType: "Member"},
			{ID: "00000000-0000-0000-0000-00000000000b", UserPrincipalName: "bob@contoso.com", Mail: "bob@contoso.com", DisplayName: "Bob", AccountEnabled: true, UserType: "Member"},
			{ID: "00000000-0000-0000-0000-00000000000c", UserPrincipalName: "cy@contoso.com", Mail: "cy@contoso.com", DisplayName: "Cy", AccountEnabled: true, UserType: "Member"},
			{ID: "00000000-0000-0000-0000-00000000000d", UserPrincipalName: "dee_fabrikam.com#EXT#@contoso.onmicrosoft.com", Mail: "dee@fabrikam.com", DisplayName: "Dee", AccountEnabled: true, UserType: "Guest"},
			{ID: "00000000-0000-0000-0000-00000000000e", UserPrincipalName: "eve@contoso.com", Mail: "", DisplayName: "Eve", AccountEnabled: false, UserType: "Member"},
		},
		AssignedUsers: []string{"00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000d"},
		Groups: map[string]SeedGroup{
			"00000000-0000-0000-0000-0000000000f1": {Name: "Aircall users", Members: []string{"00000000-0000-0000-0000-00000000000b", "00000000-0000-0000-0000-0000000000f2"}},
			"00000000-0000-0000-0000-0000000000f2": {Name: "Support (nested)", Members: []string{"00000000-0000-0000-0000-00000000000c"}},
		},
		AssignedGroups: []string{"00000000-0000-0000-0000-0000000000f1"},
		Claim:          domain.ClaimConfig{Source: domain.ClaimFromUPN, Origin: domain.ClaimOriginMappingPolicy},
	}
}

// UserDirectory checks a domain.UserDirectory holding StandardDirectorySeed:
// lookup by UPN or mail in any letter case, guests by their #EXT# UPN,
// ENOTFOUND for strangers, direct and group assignment, nested groups
// granting nothing, and the claim configuration.
func UserDirectory(t *testing.T, newDir func(t *testing.T, seed DirectorySeed) domain.UserDirectory) {
	ctx := context.Background()
	seed := StandardDirectorySeed()
	d := newDir(t, seed)
	id := func(i int) string { return seed.Users[i].ID }

	for _, tc := range []struct{ key, wantID string }{
		{"ann@contoso.com", id(0)},
		{"ANN@Contoso.com", id(0)},
		{"ann.smith@contoso.com", id(0)},
		{"Ann.Smith@CONTOSO.com", id(0)},
		{"dee_fabrikam.com#EXT#@contoso.onmicrosoft.com", id(3)},
		{"dee@fabrikam.com", id(3)},
		{"eve@contoso.com", id(4)},
	} {
		u, _, err := d.FindUser(ctx, tc.key)
		if err != nil || u.ID != tc.wantID {
			t.Errorf("FindUser(%q) = %q, %v; want %q", tc.key, u.ID, err, tc.wantID)
		}
	}
	u, _, err := d.FindUser(ctx, "ann@contoso.com")
	if err != nil || u != seed.Users[0] {
		t.Errorf("FindUser returned %+v, %v; want every attribute of %+v", u, err, seed.Users[0])
	}
	if e, _, err := d.FindUser(ctx, "eve@contoso.com"); err != nil || e.AccountEnabled || e.Mail != "" {
		t.Errorf("FindUser(eve) = %+v, %v; want disabled and no mail", e, err)
	}
	for _, k := range []string{"nobody@contoso.com", "ann", "ann@contoso.co"} {
		if _, _, err := d.FindUser(ctx, k); !domain.IsCode(err, domain.ENOTFOUND) {
			t.Errorf("FindUser(%q) = %v, want ENOTFOUND", k, err)
		}
	}

	for _, tc := range []struct {
		key  string
		want domain.Assignment
	}{
		{"ann.smith@contoso.com", domain.Assignment{Kind: domain.AssignmentDirect}},
		{"bob@contoso.com", domain.Assignment{Kind: domain.AssignmentGroup, Group: "Aircall users"}},
		{"cy@contoso.com", domain.Assignment{Kind: domain.AssignmentNone}}, // only through a nested group
		{"dee@fabrikam.com", domain.Assignment{Kind: domain.AssignmentDirect}},
		{"eve@contoso.com", domain.Assignment{Kind: domain.AssignmentNone}},
	} {
		_, got, err := d.FindUser(ctx, tc.key)
		if err != nil || got != tc.want {
			t.Errorf("FindUser(%s) assignment = %+v, %v; want %+v", tc.key, got, err, tc.want)
		}
	}

	c, err := d.EmailClaim(ctx)
	if err != nil || c != seed.Claim {
		t.Errorf("EmailClaim = %+v, %v; want %+v", c, err, seed.Claim)
	}
}
