package graphrest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// TestUnownedAppIsRefused: the audit's and the diagnosis's client refuses
// the pinned app once the deployment's identity no longer owns it, naming
// the setting, and never falls back to another app.
func TestUnownedAppIsRefused(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 6, Users: 10, Mix: graphsim.Mix{App: true}})
	c := client(t, sim, 50)
	ctx := context.Background()
	if _, err := c.FindAppServicePrincipal(ctx); err != nil {
		t.Fatalf("owned pinned app: %v", err)
	}
	app := sim.Tenant().Apps()[0]
	if err := sim.Tenant().SetOwners(app.AppID, "6b1d2c3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e"); err != nil {
		t.Fatal(err)
	}
	_, err := c.FindAppServicePrincipal(ctx)
	if !domain.IsCode(err, domain.EFORBIDDEN) || !strings.Contains(err.Error(), domain.SettingAppOwner) {
		t.Fatalf("unowned pinned app: got %v, want EFORBIDDEN naming %s", err, domain.SettingAppOwner)
	}
}
