package inmem_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

func TestAircallDirectoryConformance(t *testing.T) {
	porttest.AircallDirectory(t, func(_ *testing.T, users []domain.AircallUser) domain.AircallDirectory {
		return inmem.NewAircallDirectory(users...)
	})
}
