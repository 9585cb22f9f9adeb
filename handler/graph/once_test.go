package graph_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/graph"
)

// TestUncertainWritesAreNotRepeated: Graph carries out instantiate and
// addTokenSigningCertificate and then answers 504. The SDK's retry handler
// used to send them again (two apps, two certificates); now the adapter
// looks the object up and finds what the first call made.
func TestUncertainWritesAreNotRepeated(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	c := newClient(t, s)
	s.failAfter(1, http.StatusGatewayTimeout, "/instantiate")
	app, err := c.Instantiate(ctx, "Aircall once")
	if err != nil {
		t.Fatalf("instantiate answered 504 after creating: %v", err)
	}
	if n := s.countApps(); n != 1 || app.AppID == "" || !app.Managed() {
		t.Fatalf("%d apps after a 504 that followed the creation, want 1 (app %+v)", n, app)
	}
	s.failAfter(1, http.StatusGatewayTimeout, "/addTokenSigningCertificate")
	notAfter := time.Now().Add(365 * 24 * time.Hour)
	cert, err := c.AddSigningCertificate(ctx, app.ServicePrincipalID, "CN=Aircall once", notAfter)
	if err != nil {
		t.Fatalf("addTokenSigningCertificate answered 504 after adding: %v", err)
	}
	got, err := c.GetApp(ctx, app.ObjectID, app.ServicePrincipalID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Certificates) != 1 || got.Certificates[0].Thumbprint != cert.Thumbprint {
		t.Fatalf("certificates %+v after a 504 that followed the addition, want exactly %s", got.Certificates, cert.Thumbprint)
	}
}

// TestUncertainInstantiateThatDidNothingIsSentAgain: a 504 before Graph
// created anything: the lookup finds no new app (after waiting out
// replication) and the adapter sends instantiate once more.
func TestUncertainInstantiateThatDidNothingIsSentAgain(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	c, err := graph.New(graph.Options{BaseURL: s.url, Credential: s.cred, RetryDelaySeconds: 1,
		Replication: graph.Backoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond, Timeout: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	s.failNext(1, http.StatusGatewayTimeout, "/instantiate")
	if _, err := c.Instantiate(ctx, "Aircall twice"); err != nil {
		t.Fatalf("instantiate after a 504 that created nothing: %v", err)
	}
	if n := s.countApps(); n != 1 {
		t.Fatalf("%d apps, want 1", n)
	}
}
