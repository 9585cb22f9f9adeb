package graphrest

import (
	"context"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

type noToken struct{ asked int }

func (n *noToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	n.asked++
	return azcore.AccessToken{Token: "t"}, nil
}

type wire struct{ sent int }

func (w *wire) Do(*http.Request) (*http.Response, error) {
	w.sent++
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}}, nil
}

// TestTokenGuardInThePipeline: the client's own pipeline refuses, before
// any token is fetched, a request in clear text to a host that is not
// loopback and a request to any host but the base's.
func TestTokenGuardInThePipeline(t *testing.T) {
	cred, w := &noToken{}, &wire{}
	c, err := New(Options{BaseURL: "https://graph.microsoft.us", Credential: cred,
		ClientOptions: policy.ClientOptions{Transport: w, Retry: policy.RetryOptions{MaxRetries: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"http://graph.microsoft.us/v1.0/users", "https://graph.microsoft.com/v1.0/users", "https://evil.example/v1.0/users"} {
		req, err := runtime.NewRequest(context.Background(), http.MethodGet, u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.pl.Do(req); err == nil {
			t.Errorf("%s: sent", u)
		}
	}
	if cred.asked != 0 || w.sent != 0 {
		t.Fatalf("token asked %d times, %d requests on the wire", cred.asked, w.sent)
	}
	req, _ := runtime.NewRequest(context.Background(), http.MethodGet, "https://graph.microsoft.us/v1.0/users")
	if _, err := c.pl.Do(req); err != nil || cred.asked != 1 || w.sent != 1 {
		t.Fatalf("own host: %v, asked %d, sent %d", err, cred.asked, w.sent)
	}
}
