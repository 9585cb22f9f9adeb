package graphsim_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	khttp "github.com/microsoft/kiota-http-go"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	textser "github.com/microsoft/kiota-serialization-text-go"
	core "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationtemplates"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// These tests check the simulator's fidelity by driving it with the real
// msgraph-sdk-go client (sub-packages only), with its retry and gzip
// middleware, as the production adapter does.

var registerOnce sync.Once

type sdk struct {
	adapter *core.GraphRequestAdapterBase
	params  map[string]string
}

func (s sdk) apps() *applications.ApplicationsRequestBuilder {
	return applications.NewApplicationsRequestBuilderInternal(s.params, s.adapter)
}

func (s sdk) sps() *serviceprincipals.ServicePrincipalsRequestBuilder {
	return serviceprincipals.NewServicePrincipalsRequestBuilderInternal(s.params, s.adapter)
}

func (s sdk) users() *users.UsersRequestBuilder {
	return users.NewUsersRequestBuilderInternal(s.params, s.adapter)
}

func newSDK(t *testing.T, srv *graphsim.Server, baseURL string, parent http.RoundTripper) sdk {
	t.Helper()
	registerOnce.Do(func() {
		abs.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory { return jsonser.NewJsonSerializationWriterFactory() })
		abs.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory { return textser.NewTextSerializationWriterFactory() })
		abs.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return jsonser.NewJsonParseNodeFactory() })
		abs.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return textser.NewTextParseNodeFactory() })
	})
	auth, err := authentication.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(srv.Credential(), []string{"https://graph.microsoft.com/.default"}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	opts := core.GraphClientOptions{GraphServiceLibraryVersion: "1.89.0"}
	mw := []khttp.Middleware{
		core.NewGraphTelemetryHandler(&opts),
		khttp.NewCompressionHandler(),
		khttp.NewRetryHandlerWithOptions(khttp.RetryHandlerOptions{MaxRetries: 3, DelaySeconds: 1,
			ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return true }}),
		khttp.NewRedirectHandler(),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
	}
	if parent == nil {
		parent = http.DefaultTransport.(*http.Transport).Clone()
	}
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(parent, mw...), Timeout: 30 * time.Second}
	adapter, err := core.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, opts, nil, nil, hc)
	if err != nil {
		t.Fatal(err)
	}
	adapter.SetBaseUrl(baseURL + "/v1.0")
	return sdk{adapter: adapter, params: map[string]string{"baseurl": baseURL + "/v1.0"}}
}

func odataCode(err error) (int, string, string) {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		m := oe.GetErrorEscaped()
		return oe.GetStatusCode(), deref(m.GetCode()), deref(m.GetMessage())
	}
	return 0, "", ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func ptr[T any](v T) *T { return &v }

// instantiate runs POST applicationTemplates/{id}/instantiate via the SDK.
func instantiate(t *testing.T, c sdk, name string) models.ApplicationServicePrincipalable {
	t.Helper()
	body := applicationtemplates.NewItemInstantiatePostRequestBody()
	body.SetDisplayName(&name)
	res, err := applicationtemplates.NewApplicationTemplatesRequestBuilderInternal(c.params, c.adapter).
		ByApplicationTemplateId(domain.NonGalleryTemplateID).Instantiate().Post(context.Background(), body, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSDKProvisioningFlow(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"http", false}, {"https", true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := graphsim.Start(t, graphsim.Options{Seed: 3, Users: 10})
			base, parent := srv.URL(), http.RoundTripper(nil)
			if tc.tls {
				base, parent = srv.TLSURL(), srv.TLSClient().Transport
			}
			c := newSDK(t, srv, base, parent)
			ctx := context.Background()
			srv.Tenant().SetPolicyMode(graphsim.PolicyDefault)

			res := instantiate(t, c, "Aircall")
			app, sp := res.GetApplication(), res.GetServicePrincipal()
			if app == nil || sp == nil || deref(app.GetAppId()) == "" || deref(app.GetAppId()) != deref(sp.GetAppId()) {
				t.Fatalf("instantiate: want an application and its service principal with one appId")
			}
			var roles []string
			for _, r := range sp.GetAppRoles() {
				roles = append(roles, deref(r.GetDisplayName()))
			}
			if strings.Join(roles, ",") != "User,msiam_access" || sp.GetAppRoleAssignmentRequired() == nil || !*sp.GetAppRoleAssignmentRequired() {
				t.Errorf("service principal roles %v, assignment required %v", roles, sp.GetAppRoleAssignmentRequired())
			}

			// $filter on appId, and on tags after tagging.
			filter := "appId eq '" + deref(app.GetAppId()) + "'"
			list, err := c.sps().Get(ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
				QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{Filter: &filter, Select: []string{"id", "appId"}}})
			if err != nil || len(list.GetValue()) != 1 || deref(list.GetValue()[0].GetId()) != deref(sp.GetId()) {
				t.Fatalf("list by appId: %v", err)
			}

			// SAML mode first, then the identifier URI passes the default policy.
			spPatch := models.NewServicePrincipal()
			spPatch.SetPreferredSingleSignOnMode(ptr("saml"))
			spPatch.SetTags([]string{"WindowsAzureActiveDirectoryIntegratedApp", domain.ManagedTag})
			if _, err := c.sps().ByServicePrincipalId(deref(sp.GetId())).Patch(ctx, spPatch, nil); err != nil {
				t.Fatalf("patch SP: %v", err)
			}
			appPatch := models.NewApplication()
			appPatch.SetIdentifierUris([]string{domain.AircallEntityID})
			web := models.NewWebApplication()
			web.SetRedirectUris([]string{domain.AircallReplyURL})
			appPatch.SetWeb(web)
			if _, err := c.apps().ByApplicationId(deref(app.GetId())).Patch(ctx, appPatch, nil); err != nil {
				t.Fatalf("patch application: %v", err)
			}
			got, err := c.apps().ByApplicationId(deref(app.GetId())).Get(ctx, nil)
			if err != nil || strings.Join(got.GetIdentifierUris(), ",") != domain.AircallEntityID ||
				strings.Join(got.GetWeb().GetRedirectUris(), ",") != domain.AircallReplyURL {
				t.Fatalf("application after patch: %v", err)
			}
			tagFilter := "tags/any(t:t eq '" + domain.ManagedTag + "')"
			list, err = c.sps().Get(ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
				QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{Filter: &tagFilter}})
			if err != nil || len(list.GetValue()) != 1 {
				t.Fatalf("list by tag: %v", err)
			}

			// Signing certificate: real X.509, thumbprint = SHA-1 of the DER.
			certBody := serviceprincipals.NewItemAddTokenSigningCertificatePostRequestBody()
			certBody.SetDisplayName(ptr("CN=Aircall SSO"))
			certBody.SetEndDateTime(ptr(time.Now().AddDate(2, 0, 0)))
			cert, err := c.sps().ByServicePrincipalId(deref(sp.GetId())).AddTokenSigningCertificate().Post(ctx, certBody, nil)
			if err != nil {
				t.Fatalf("addTokenSigningCertificate: %v", err)
			}
			sum := sha1.Sum(cert.GetKey())
			if want := strings.ToUpper(hex.EncodeToString(sum[:])); deref(cert.GetThumbprint()) != want {
				t.Errorf("thumbprint %s, want SHA-1 of the certificate %s", deref(cert.GetThumbprint()), want)
			}
			act := models.NewServicePrincipal()
			act.SetPreferredTokenSigningKeyThumbprint(cert.GetThumbprint())
			if _, err := c.sps().ByServicePrincipalId(deref(sp.GetId())).Patch(ctx, act, nil); err != nil {
				t.Fatalf("activate certificate: %v", err)
			}
			full, err := c.sps().ByServicePrincipalId(deref(sp.GetId())).Get(ctx, &serviceprincipals.ServicePrincipalItemRequestBuilderGetRequestConfiguration{
				QueryParameters: &serviceprincipals.ServicePrincipalItemRequestBuilderGetQueryParameters{Select: []string{"id", "keyCredentials", "preferredTokenSigningKeyThumbprint", "preferredSingleSignOnMode"}}})
			if err != nil {
				t.Fatal(err)
			}
			var usages []string
			for _, k := range full.GetKeyCredentials() {
				usages = append(usages, deref(k.GetUsage()))
				if len(k.GetKey()) == 0 {
					t.Errorf("keyCredentials key empty although selected")
				}
			}
			if srv.Tenant().Stats().GzipBodies == 0 {
				t.Errorf("the SDK's compression middleware sent no gzip body (is it on?)")
			}
			if strings.Join(usages, ",") != "Sign,Verify" || deref(full.GetPreferredTokenSigningKeyThumbprint()) != deref(cert.GetThumbprint()) || deref(full.GetPreferredSingleSignOnMode()) != "saml" {
				t.Errorf("SP after certificate: usages %v, preferred %q, mode %q", usages, deref(full.GetPreferredTokenSigningKeyThumbprint()), deref(full.GetPreferredSingleSignOnMode()))
			}
		})
	}
}

func TestSDKIdentifierURIPolicy(t *testing.T) {
	for _, tc := range []struct {
		mode     graphsim.PolicyMode
		saml     bool
		wantCode string
	}{
		{graphsim.PolicyOff, false, ""},
		{graphsim.PolicyDefault, false, "InvalidUniqueTenantIdentifierAsPerAppPolicy"},
		{graphsim.PolicyDefault, true, ""},
		{graphsim.PolicyStrict, false, "InvalidIdentifierUriAsPerAppPolicy"},
		// SAML apps are exempt from nonDefaultUriAddition too (excludeSaml,
		// learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions).
		{graphsim.PolicyStrict, true, ""},
	} {
		t.Run(string(tc.mode)+map[bool]string{true: "-saml", false: ""}[tc.saml], func(t *testing.T) {
			srv := graphsim.Start(t, graphsim.Options{})
			srv.Tenant().SetPolicyMode(tc.mode)
			c := newSDK(t, srv, srv.URL(), nil)
			res := instantiate(t, c, "Aircall")
			ctx := context.Background()
			if tc.saml {
				p := models.NewServicePrincipal()
				p.SetPreferredSingleSignOnMode(ptr("saml"))
				if _, err := c.sps().ByServicePrincipalId(deref(res.GetServicePrincipal().GetId())).Patch(ctx, p, nil); err != nil {
					t.Fatal(err)
				}
			}
			p := models.NewApplication()
			p.SetIdentifierUris([]string{domain.AircallEntityID})
			_, err := c.apps().ByApplicationId(deref(res.GetApplication().GetId())).Patch(ctx, p, nil)
			status, code, msg := odataCode(err)
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("want accepted, got %v", err)
				}
				return
			}
			if status != 400 || code != tc.wantCode || !strings.Contains(msg, domain.AircallEntityID) || !strings.Contains(msg, "aka.ms/identifier-uri-addition-error") {
				t.Fatalf("got %d %s %q, want 400 %s with Microsoft's message", status, code, msg, tc.wantCode)
			}
			// Nothing changed.
			got, err := c.apps().ByApplicationId(deref(res.GetApplication().GetId())).Get(ctx, nil)
			if err != nil || len(got.GetIdentifierUris()) != 0 {
				t.Fatalf("a refused patch must change nothing: %v %v", err, got.GetIdentifierUris())
			}
		})
	}
}

func TestSDKUsersPagingAndRetry(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 9, Users: 2500, Mix: graphsim.Mix{Guests: 0.1}})
	c := newSDK(t, srv, srv.URL(), nil)
	ctx := context.Background()
	// One 429 with Retry-After on the second page: the SDK retries it.
	second := func(r *http.Request) bool { return strings.Contains(r.URL.RawQuery, "skiptoken") }
	srv.Tenant().FailNext(1, http.StatusTooManyRequests, second)
	page, err := c.users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: []string{"id", "userPrincipalName", "mail", "userType"}, Top: ptr(int32(999))}})
	if err != nil {
		t.Fatal(err)
	}
	it, err := core.NewPageIterator[models.Userable](page, c.adapter, models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	guests := 0
	err = it.Iterate(ctx, func(u models.Userable) bool {
		seen[deref(u.GetId())] = true
		if deref(u.GetUserType()) == "Guest" {
			guests++
			if !strings.Contains(deref(u.GetUserPrincipalName()), "#EXT#@") {
				t.Errorf("guest UPN %q lacks #EXT#", deref(u.GetUserPrincipalName()))
			}
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2500 {
		t.Errorf("paged %d distinct users, want 2500", len(seen))
	}
	st := srv.Tenant().Stats()
	if st.Injected["429"] != 1 || st.Requests["GET /v1.0/users"] != 4 {
		t.Errorf("want 3 pages + 1 retried 429, got %d requests, %d injected", st.Requests["GET /v1.0/users"], st.Injected["429"])
	}
	// One user by UPN, #EXT# escaped in the path.
	var guestUPN string
	srv.Tenant().EachUser(func(u graphsim.User) bool {
		if u.UserType == "Guest" {
			guestUPN = u.UserPrincipalName
			return false
		}
		return true
	})
	u, err := c.users().ByUserId(guestUPN).Get(ctx, nil)
	if err != nil || deref(u.GetUserPrincipalName()) != guestUPN {
		t.Fatalf("get guest by UPN %q: %v", guestUPN, err)
	}
}

func TestManagedIdentityCredential(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 1, Users: 5})
	t.Setenv("IDENTITY_ENDPOINT", srv.IdentityEndpoint())
	t.Setenv("IDENTITY_HEADER", srv.IdentityHeader())
	cred, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatalf("azidentity against the simulator's token endpoint: %v", err)
	}
	if time.Until(tok.ExpiresOn) < time.Hour {
		t.Errorf("token expires %v", tok.ExpiresOn)
	}
	for _, tc := range []struct {
		auth string
		want int
	}{{"Bearer " + tok.Token, 200}, {"", 401}, {"Bearer x.y.z", 401}} {
		req, _ := http.NewRequest("GET", srv.URL()+"/v1.0/users?$top=1", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: status %d, want %d", tc.auth[:min(len(tc.auth), 12)], resp.StatusCode, tc.want)
		}
	}
}
