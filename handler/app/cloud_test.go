package app_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/app"
	"github.com/identity-ops/aircall-entra-sso/handler/config"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
)

// TestProvisionPlanPerCloud: for each cloud, the settings (AZURE_CLOUD, the
// simulator as Graph) build a provision job whose plan names the cloud's
// non-gallery template and whose apply instantiates it in a simulator
// configured for that cloud — which, like each real cloud, knows only its
// own template id (learn.microsoft.com/graph/api/applicationtemplate-instantiate).
func TestProvisionPlanPerCloud(t *testing.T) {
	for _, cl := range domain.Clouds() {
		t.Run(cl.Name, func(t *testing.T) {
			sim := graphsim.Start(t, graphsim.Options{Seed: 21, Users: 5, Cloud: cl.Name})
			env := map[string]string{
				"AZURE_CLOUD": cl.Name, "ENTRA_TENANT_ID": sim.TenantID(), "GRAPH_BASE_URL": sim.URL(), "LOGIN_AUTHORITY": sim.URL(),
				"BLOB_CONNECTION_STRING":       "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;",
				"SERVICEBUS_CONNECTION_STRING": "Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=devenv;SharedAccessKey=aaaa;UseDevelopmentEmulator=true",
			}
			cfg, err := config.Load(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			a := app.New(cfg, sim.Credential(), slog.New(slog.DiscardHandler))
			job, err := a.ProvisionJob()
			if err != nil {
				t.Fatal(err)
			}
			job.Pins = &inmem.Pins{} // the pinned-app document is Blob's business, not this test's
			ctx := context.Background()
			plan, err := job.Run(ctx, provision.Request{DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Steps) == 0 || plan.Steps[0].Kind != provision.StepCreateApp || !strings.Contains(plan.Steps[0].Setting, cl.TemplateID) {
				t.Fatalf("plan's first step %+v, want create-app from template %s", plan.Steps, cl.TemplateID)
			}
			job.Lock = inmem.NewLock() // the lease is Blob's business, not this test's
			if _, err := job.Run(ctx, provision.Request{}); err != nil {
				t.Fatalf("apply in %s: %v", cl.Name, err)
			}
			apps := sim.Tenant().Apps()
			if len(apps) != 1 || apps[0].TemplateID != cl.TemplateID {
				t.Fatalf("apps %+v, want one instantiated from %s", apps, cl.TemplateID)
			}
		})
	}
}
