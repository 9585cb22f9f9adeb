package inmem_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

func TestDirectoryConformance(t *testing.T) {
	porttest.UserDirectory(t, func(_ *testing.T, s porttest.DirectorySeed) domain.UserDirectory { return seeded(s) })
}

// seeded returns a directory holding s.
func seeded(s porttest.DirectorySeed) *inmem.Directory {
	d := inmem.NewDirectory()
	for _, u := range s.Users {
		d.PutUser(u)
	}
	for _, id := range s.AssignedUsers {
		d.AssignUser(id)
	}
	for id, g := range s.Groups {
		d.PutGroup(id, g.Name, g.Members...)
	}
	for _, id := range s.AssignedGroups {
		d.AssignGroup(id)
	}
	d.SetEmailClaim(s.Claim)
	return d
}

func TestBulkDirectoryConformance(t *testing.T) {
	porttest.BulkDirectory(t, func(_ *testing.T, s porttest.DirectorySeed) porttest.BulkDirectoryHarness {
		d := seeded(s)
		d.PageSize = 2
		return porttest.BulkDirectoryHarness{Dir: d, ExpireDeltaLinks: d.ExpireDeltaLinks}
	})
}
