package inmem_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

func TestAppDirectoryConformance(t *testing.T) {
	porttest.AppDirectory(t, func(*testing.T) porttest.AppDirectoryHarness {
		d := inmem.NewAppDirectory()
		const user = "0f1e2d3c-4b5a-4968-8776-655443322110"
		d.AddPrincipal(user, "User")
		return porttest.AppDirectoryHarness{Dir: d, Principal: user, URIPolicy: d.URIPolicy}
	})
}
