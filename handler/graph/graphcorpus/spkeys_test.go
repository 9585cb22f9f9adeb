package graphcorpus_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
)

// TestRESTDecodesSigningKeys: the metadata's trust anchors
// (graphrest.ServicePrincipalKeys) read from the documented example of
// GET /servicePrincipals(appId='…')?$select=id,keyCredentials,preferredTokenSigningKeyThumbprint
// over the wire: the thumbprint comes from customKeyIdentifier when the key
// is not a certificate (the example's key is not a whole one).
func TestRESTDecodesSigningKeys(t *testing.T) {
	var body []byte
	for _, f := range loadFixtures(t) {
		if f.name == "serviceprincipal-get-signingkeys" {
			body = f.Response
		}
	}
	if body == nil {
		t.Fatal("no serviceprincipal-get-signingkeys fixture")
	}
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c, err := graphrest.New(graphrest.Options{BaseURL: srv.URL, Credential: staticCred{}})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.ServicePrincipalKeys(context.Background(), domain.AppRef{Tenant: "contoso.example", AppID: fxAppID})
	if err != nil {
		t.Fatal(err)
	}
	const tp = "DEADBEEF00000000000000000000000000000000"
	if path != "/v1.0/servicePrincipals(appId='"+fxAppID+"')" || keys.ServicePrincipalID != fxSP || keys.PreferredThumbprint != tp || len(keys.Keys) != 2 {
		t.Fatalf("%s: %+v", path, keys)
	}
	for _, k := range keys.Keys {
		if k.Thumbprint != tp || k.KeyID == "" || k.End.IsZero() {
			t.Errorf("key %+v: want thumbprint %s from customKeyIdentifier", k, tp)
		}
	}
	if keys.Keys[1].Usage != "Verify" || keys.Keys[1].Type != "AsymmetricX509Cert" {
		t.Errorf("Verify key %+v", keys.Keys[1])
	}
}
