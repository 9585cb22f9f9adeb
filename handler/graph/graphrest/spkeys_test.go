package graphrest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/fedmeta"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
)

// TestServicePrincipalKeys reads the app's signing keys from the simulator
// and checks they are what its federation metadata is signed with, before
// and after a rotation: the metadata parses with them as trust anchors.
func TestServicePrincipalKeys(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 1, Mix: graphsim.Mix{App: true}})
	ten := sim.Tenant()
	app := ten.Apps()[0]
	c, err := graphrest.New(graphrest.Options{BaseURL: sim.URL(), Credential: sim.Credential()})
	if err != nil {
		t.Fatal(err)
	}
	ref := domain.AppRef{Tenant: sim.TenantID(), AppID: app.AppID}
	ctx := context.Background()
	parse := func(keys domain.ServicePrincipalKeys) (*fedmeta.Metadata, error) {
		res, err := http.Get(sim.MetadataURL(app.AppID))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		doc, _ := io.ReadAll(res.Body)
		return fedmeta.Parse(doc, fedmeta.Options{Tenant: sim.TenantID(), Keys: &keys})
	}

	keys, err := c.ServicePrincipalKeys(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if keys.ServicePrincipalID != app.SPID || len(keys.Keys) != 2 || keys.PreferredThumbprint == "" {
		t.Fatalf("keys %+v: want the SP id %s, a Sign and a Verify keyCredential, the preferred thumbprint", keys, app.SPID)
	}
	for _, k := range keys.Keys {
		if k.Thumbprint != keys.PreferredThumbprint {
			t.Errorf("key %s (%s) thumbprint %s, want the active %s", k.KeyID, k.Usage, k.Thumbprint, keys.PreferredThumbprint)
		}
	}
	if m, err := parse(keys); err != nil || m.Certificates[0].Thumbprint != keys.PreferredThumbprint {
		t.Fatalf("the simulator's metadata with Graph's keys: %v", err)
	}

	newThumb, err := ten.RotateSigningCertificate(app.AppID)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := c.ServicePrincipalKeys(ctx, ref)
	if err != nil || rotated.PreferredThumbprint != newThumb || len(rotated.Keys) != 4 {
		t.Fatalf("after rotation: %+v %v", rotated, err)
	}
	if _, err := parse(rotated); err != nil {
		t.Fatalf("rotated metadata: %v", err)
	}
	// Graph's keys from before the rotation do not vouch for the new signer.
	if _, err := parse(keys); fedmeta.ProblemOf(err) != fedmeta.ProblemUntrustedSigner {
		t.Fatalf("rotated metadata with the old keys: %v, want untrusted-signer", err)
	}

	if _, err := c.ServicePrincipalKeys(ctx, domain.AppRef{Tenant: ref.Tenant, AppID: "00000000-0000-0000-0000-000000000001"}); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("unknown appId: %v, want ENOTFOUND", err)
	}
	if _, err := c.ServicePrincipalKeys(ctx, domain.AppRef{Tenant: ref.Tenant, AppID: "x')/owners?x=('"}); !domain.IsCode(err, domain.EINVALID) {
		t.Fatalf("hostile appId: %v, want EINVALID", err)
	}
}

// TestServicePrincipalKeysShapes decodes the keyCredential shapes Graph
// documents: key null (not selected), customKeyIdentifier as base64 of the
// SHA-1 (keyCredential resource type), and one that is neither.
func TestServicePrincipalKeysShapes(t *testing.T) {
	var gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.RequestURI()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#servicePrincipals(id,keyCredentials,preferredTokenSigningKeyThumbprint)/$entity",
"id":"5d1e7f3a-9b2c-4d8e-a1f0-6c3b2a1d0e9f","preferredTokenSigningKeyThumbprint":"3c9f2b1a7e5d4c6b8a0f1e2d3c4b5a6978877665",
"keyCredentials":[
 {"customKeyIdentifier":"PJ8rGn5dTGuKDx4tPEtaaXiHdmU=","displayName":"CN=Microsoft Azure Federated SSO Certificate","endDateTime":"2029-03-28T09:15:00Z","key":null,"keyId":"4c266507-3e74-4b91-aeba-18a25b450f6e","startDateTime":"2026-03-28T09:15:00Z","type":"AsymmetricX509Cert","usage":"Verify"},
 {"customKeyIdentifier":"bm90IGEgdGh1bWJwcmludA==","displayName":"custom","endDateTime":"2029-03-28T09:15:00Z","key":null,"keyId":"0b0b0b0b-3e74-4b91-aeba-18a25b450f6e","startDateTime":"2026-03-28T09:15:00Z","type":"AsymmetricX509Cert","usage":"Verify"}]}`)
	}))
	defer srv.Close()
	c, err := graphrest.New(graphrest.Options{BaseURL: srv.URL, Credential: staticCred{}})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.ServicePrincipalKeys(context.Background(), domain.AppRef{Tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", AppID: "0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/v1.0/servicePrincipals(appId='0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d')?$select=id,keyCredentials,preferredTokenSigningKeyThumbprint"; gotPath != want && strings.ReplaceAll(gotPath, "%27", "'") != want {
		t.Errorf("requested %s, want %s", gotPath, want)
	}
	if keys.PreferredThumbprint != "3C9F2B1A7E5D4C6B8A0F1E2D3C4B5A6978877665" || len(keys.Keys) != 2 ||
		keys.Keys[0].Thumbprint != "3C9F2B1A7E5D4C6B8A0F1E2D3C4B5A6978877665" || keys.Keys[1].Thumbprint != "" {
		t.Fatalf("keys %+v", keys)
	}
}
