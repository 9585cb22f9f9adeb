package graphrest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
)

// countingCred hands out a token and counts how often it was asked.
type countingCred struct{ n atomic.Int32 }

func (c *countingCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.n.Add(1)
	return azcore.AccessToken{Token: "secret-token"}, nil
}

// recorder is a transport that records what would have gone on the wire.
type recorder struct {
	sent     atomic.Int32
	withAuth atomic.Int32
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.sent.Add(1)
	if req.Header.Get("Authorization") != "" {
		r.withAuth.Add(1)
	}
	return nil, errors.New("recorder: not sending")
}

// TestTokenNeverOverHTTPToRemoteHost: a plain-http Graph root on a host
// that is not loopback is refused, and no token is requested or sent — at
// the pipeline, whatever the configuration layer let through.
func TestTokenNeverOverHTTPToRemoteHost(t *testing.T) {
	for _, base := range []string{"http://graph.microsoft.com", "http://graph.example.test", "http://10.0.0.5:8080"} {
		cred, rec := &countingCred{}, &recorder{}
		c, err := graphrest.New(graphrest.Options{BaseURL: base, Credential: cred,
			ClientOptions: policy.ClientOptions{Transport: rec, Retry: policy.RetryOptions{MaxRetries: -1}}})
		if err == nil {
			var out map[string]any
			_ = c.Get(context.Background(), "/v1.0/users", &out)
		}
		if rec.withAuth.Load() != 0 || cred.n.Load() != 0 {
			t.Fatalf("%s: a token was requested (%d) or sent in clear text (%d)", base, cred.n.Load(), rec.withAuth.Load())
		}
		if err == nil || !strings.Contains(err.Error(), "GRAPH_BASE_URL") {
			t.Fatalf("%s: New = %v, want a refusal naming GRAPH_BASE_URL", base, err)
		}
	}
}

// TestLoopbackHTTPStillCarriesTheToken: the local simulator keeps working
// over http on loopback.
func TestLoopbackHTTPStillCarriesTheToken(t *testing.T) {
	cred, rec := &countingCred{}, &recorder{}
	c, err := graphrest.New(graphrest.Options{BaseURL: "http://127.0.0.1:1", Credential: cred,
		ClientOptions: policy.ClientOptions{Transport: rec, Retry: policy.RetryOptions{MaxRetries: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_ = c.Get(context.Background(), "/v1.0/users", &out)
	if rec.withAuth.Load() == 0 {
		t.Fatal("no token on the loopback request")
	}
}
