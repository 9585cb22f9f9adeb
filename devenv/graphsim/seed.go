package graphsim

import "fmt"

// DirectorySeed is a small directory a test loads into a tenant: users,
// groups (members are user ids or other seed group ids) and the principals
// (user ids or seed group ids) assigned to an app.
type DirectorySeed struct {
	Users  []User
	Groups []SeedGroup
	Assign []string
}

// SeedGroup is one group of a DirectorySeed, under the test's own id.
type SeedGroup struct {
	ID, Name string
	Members  []string
}

// LoadDirectory adds d to the tenant, assigning d.Assign to the service
// principal spID, and returns the tenant's id for each seed group id (the
// tenant assigns its own).
func (t *Tenant) LoadDirectory(spID string, d DirectorySeed) (map[string]string, error) {
	for _, u := range d.Users {
		t.AddUser(u)
	}
	ids := map[string]string{}
	for _, g := range d.Groups {
		ids[g.ID] = t.AddGroup(g.Name)
	}
	mapped := func(id string) string {
		if g, ok := ids[id]; ok {
			return g
		}
		return id
	}
	for _, g := range d.Groups {
		for _, m := range g.Members {
			if err := t.AddMember(ids[g.ID], mapped(m)); err != nil {
				return nil, fmt.Errorf("graphsim: group %s: %w", g.ID, err)
			}
		}
	}
	for _, p := range d.Assign {
		if err := t.Assign(spID, mapped(p)); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
