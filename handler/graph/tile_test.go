package graph_test

import (
	"context"
	"slices"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/graph"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
)

// TestMyAppsTileOverSimulator: provision hides the tile (HideApp), and with
// AIRCALL_SIGN_ON_URL sets the service principal's loginUrl instead — read
// back through Graph.
func TestMyAppsTileOverSimulator(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	job := newSimJob(t, s)
	res, err := job.Apply(ctx, provision.Request{})
	if err != nil {
		t.Fatal(err)
	}
	c := job.Directory.(*graph.Client)
	app, err := c.GetApp(ctx, res.App.ObjectID, res.App.ServicePrincipalID)
	if err != nil || !slices.Contains(app.ServicePrincipalTags, provision.HideAppTag) {
		t.Fatalf("tile not hidden: %v, %v", app.ServicePrincipalTags, err)
	}
	job.Desired.SignOnURL = "https://auth.aircall.io/sso"
	if _, err := job.Apply(ctx, provision.Request{}); err != nil {
		t.Fatal(err)
	}
	app, err = c.GetApp(ctx, res.App.ObjectID, res.App.ServicePrincipalID)
	if err != nil || app.LoginURL != job.Desired.SignOnURL || slices.Contains(app.ServicePrincipalTags, provision.HideAppTag) {
		t.Fatalf("tile with a sign-on URL: loginUrl %q tags %v, %v", app.LoginURL, app.ServicePrincipalTags, err)
	}
}
