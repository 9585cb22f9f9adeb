package graph

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphapi"
)

type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestIdentifierURIRefusalRecognised(t *testing.T) {
	for _, tc := range []struct {
		f    *graphapi.Failure
		want bool
	}{
		{&graphapi.Failure{Status: 400, Code: "HostNameNotOnVerifiedDomain", Message: "Values of identifierUris property must use a verified domain"}, true},
		{&graphapi.Failure{Status: 400, Code: "Request_BadRequest", Message: "Failed to add identifier URI urn:x. All newly added URIs must contain a tenant verified domain"}, true},
		{&graphapi.Failure{Status: 400, Code: "Request_BadRequest", Message: "Property displayName is invalid"}, false},
		{&graphapi.Failure{Status: 500, Message: "identifier URI"}, false},
	} {
		if got := isIdentifierURIRefusal(tc.f); got != tc.want {
			t.Errorf("%+v: got %v", tc.f, got)
		}
	}
}

// fakeGraph answers a few calls, records what it saw.
type fakeGraph struct {
	mu      sync.Mutex
	auth    []string
	bodies  []string
	answers map[string]func(w http.ResponseWriter)
}

func (f *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = zr
	}
	b, _ := io.ReadAll(body)
	f.mu.Lock()
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.bodies = append(f.bodies, string(b))
	f.mu.Unlock()
	if a, ok := f.answers[r.Method+" "+r.URL.Path]; ok {
		w.Header().Set("Content-Type", "application/json")
		a(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(404)
	_, _ = io.WriteString(w, `{"error":{"code":"Request_ResourceNotFound","message":"Resource does not exist"}}`)
}

func graphError(status int, code, msg string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
	}
}

func TestErrorsMapToTheDomainVocabulary(t *testing.T) {
	f := &fakeGraph{answers: map[string]func(http.ResponseWriter){
		"POST /v1.0/applicationTemplates/" + domain.NonGalleryTemplateID + "/instantiate": graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
		"PATCH /v1.0/applications/app1":     graphError(400, "Request_BadRequest", "Failed to add identifier URI urn:amazon:cognito:sp:us-west-2_hZkGBmIsz. All newly added URIs must contain a tenant verified domain, tenant ID, or app ID, as per the default tenant policy of your organization."),
		"PATCH /v1.0/servicePrincipals/sp1": graphError(503, "serviceNotAvailable", "try later"),
		"GET /v1.0/servicePrincipals":       func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"value":[]}`) },
		"GET /v1.0/applications":            func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"value":[]}`) },
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := New(Options{BaseURL: srv.URL, Credential: staticCred{}, MaxRetries: 1, RetryDelaySeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = c.Instantiate(ctx, "Aircall")
	if !domain.IsCode(err, domain.EFORBIDDEN) || !strings.Contains(err.Error(), "Application.ReadWrite.OwnedBy") {
		t.Errorf("403: got %v, want EFORBIDDEN naming the permission", err)
	}
	err = c.PatchApplication(ctx, "app1", domain.ApplicationPatch{IdentifierURIs: []string{domain.AircallEntityID}})
	var refused *domain.IdentifierURIRefusedError
	if !domain.IsCode(err, domain.EUNPROCESSABLE) || !errorsAs(err, &refused) || refused.URI != domain.AircallEntityID {
		t.Errorf("policy refusal: got %v", err)
	}
	saml := "saml"
	if err := c.PatchServicePrincipal(ctx, "sp1", domain.ServicePrincipalPatch{SSOMode: &saml}); !domain.IsCode(err, domain.EUNAVAILABLE) {
		t.Errorf("503 after retries: got %v, want EUNAVAILABLE", err)
	}
	if _, err := c.FindApp(ctx, domain.AppLookup{AppID: "00000000-1111-4222-8333-444444444444"}); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Errorf("nothing found: got %v, want ENOTFOUND", err)
	}
	if _, err := c.GetApp(ctx, "nope", "nope"); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Errorf("404: got %v, want ENOTFOUND", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.auth {
		if a != "Bearer test-token" {
			t.Fatalf("a request went without the token: %q", a)
		}
	}
	found := false
	for _, b := range f.bodies {
		found = found || strings.Contains(b, `"preferredSingleSignOnMode":"saml"`)
	}
	if !found {
		t.Errorf("the SSO patch body was not seen: %q", f.bodies)
	}
}

func TestTokenOnlyToAllowedHosts(t *testing.T) {
	f := &fakeGraph{answers: map[string]func(http.ResponseWriter){
		"GET /v1.0/servicePrincipals": func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"value":[]}`) },
		"GET /v1.0/applications":      func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"value":[]}`) },
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := New(Options{BaseURL: srv.URL, Credential: staticCred{}, AllowedHosts: []string{"graph.microsoft.com"}})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.FindApp(context.Background(), domain.AppLookup{AppID: "00000000-1111-4222-8333-444444444444"})
	for _, a := range f.auth {
		if a != "" {
			t.Fatalf("token sent to a host that is not allowed: %q", a)
		}
	}
	if len(f.auth) == 0 {
		t.Fatal("no request reached the server")
	}
	if _, err := New(Options{BaseURL: "http://graph.example.com", Credential: staticCred{}}); !domain.IsCode(err, domain.EINVALID) {
		t.Errorf("plain http to a remote host: got %v, want EINVALID", err)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// A retried write must resend the same gzip body: the SDK's default
// middleware order is random and, half the time, resent the raw JSON under
// "Content-Encoding: gzip". Several clients, so a random order would show.
func TestRetriedWriteResendsItsBody(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	attempt := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("attempt with Content-Encoding gzip is not gzip: %v", err)
				w.WriteHeader(400)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		mu.Lock()
		attempt++
		bodies = append(bodies, string(b))
		first := attempt%2 == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			_, _ = io.WriteString(w, `{"error":{"code":"TooManyRequests","message":"Please retry again later."}}`)
			return
		}
		w.WriteHeader(204)
	}))
	defer srv.Close()
	saml := "saml"
	for range 8 {
		c, err := New(Options{BaseURL: srv.URL, Credential: staticCred{}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.PatchServicePrincipal(context.Background(), "sp1", domain.ServicePrincipalPatch{SSOMode: &saml}); err != nil {
			t.Fatalf("patch after one 429: %v", err)
		}
	}
	for i := 1; i < len(bodies); i += 2 {
		if bodies[i] != bodies[i-1] || !strings.Contains(bodies[i], `"preferredSingleSignOnMode":"saml"`) {
			t.Fatalf("retry %d sent %q after %q", i, bodies[i], bodies[i-1])
		}
	}
}
