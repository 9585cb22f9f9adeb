package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

// simHarness is one simulated tenant, as the tests need it. It is the only
// code here that knows the simulator's API.
type simHarness struct {
	url, tenant string
	// user is a user of the tenant that can be assigned.
	user string
	cred azcore.TokenCredential

	setPolicy           func(mode string)
	setReplicationDelay func(d time.Duration)
	// injectStatus makes the next n Graph calls answer status (Retry-After
	// 1); n = 0 stops it.
	injectStatus func(status, n int)
	// injected counts the answers injected so far.
	injected func() int
	// failApplicationPatch makes the next PATCH of an application that sets
	// identifierUris answer 400.
	failApplicationPatch func()
	countApps            func() int
	// failNext makes the next n Graph calls whose path ends with suffix
	// answer status.
	failNext func(n, status int, suffix string)
	// failAfter makes the next n Graph POSTs whose path ends with suffix be
	// carried out and then answered with status (a 504 after the write).
	failAfter func(n, status int, suffix string)
	// call sends one Graph request with the identity's token and returns
	// the status and the decoded JSON answer (nil when there is none).
	call func(method, path string, body any) (int, map[string]any)
}

// newSim starts a fresh simulated tenant, reached through azidentity's App
// Service managed identity credential (IDENTITY_ENDPOINT / IDENTITY_HEADER)
// as in Azure.
func newSim(t *testing.T) *simHarness {
	t.Helper()
	s := graphsim.Start(t, graphsim.Options{Seed: 7})
	tn := s.Tenant()
	t.Setenv("IDENTITY_ENDPOINT", s.IdentityEndpoint())
	t.Setenv("IDENTITY_HEADER", s.IdentityHeader())
	cred, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		t.Fatal(err)
	}
	u := tn.AddUser(graphsim.User{UserPrincipalName: "ada@contoso.example", Mail: "ada@contoso.example", AccountEnabled: true})
	return &simHarness{
		url: s.URL(), tenant: s.TenantID(), user: u.ID, cred: cred,
		setPolicy:           func(mode string) { tn.SetPolicyMode(graphsim.PolicyMode(mode)) },
		setReplicationDelay: tn.SetReplicationDelay,
		injectStatus: func(status, n int) {
			tn.FailNext(n, status, func(r *http.Request) bool { return true })
		},
		injected: func() int {
			st := tn.Stats()
			return st.Injected["429"] + st.Injected["503"]
		},
		failApplicationPatch: func() { tn.FailApplicationPatch(1) },
		countApps:            func() int { return len(tn.Apps()) },
		failNext: func(n, status int, suffix string) {
			tn.FailNext(n, status, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, suffix) })
		},
		failAfter: func(n, status int, suffix string) {
			tn.FailAfter(n, status, func(r *http.Request) bool {
				return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, suffix)
			})
		},
		call: func(method, path string, body any) (int, map[string]any) {
			return call(t, s.URL(), cred, method, path, body)
		},
	}
}

func call(t *testing.T, base string, cred azcore.TokenCredential, method, path string, body any) (int, map[string]any) {
	t.Helper()
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
