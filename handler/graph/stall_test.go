package graph_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph"
)

// staticToken is a credential for a server that checks none.
type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "t", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestStalledTryCostsOneTry: Graph accepts the connection and never answers
// the first try; the SDK client gives that try up after its per-try
// deadline and asks again, so the call gets its answer.
func TestStalledTryCostsOneTry(t *testing.T) {
	var tries atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tries.Add(1) == 1 {
			<-r.Context().Done() // never answers; ends when the client gives up
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"value":[]}`))
	}))
	defer srv.Close()
	c, err := graph.New(graph.Options{BaseURL: srv.URL, Credential: staticToken{}, TryTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = c.FindApp(ctx, domain.AppLookup{AppID: "00000000-0000-0000-0000-0000000000aa"})
	// The empty answers mean "no such app": the call got Graph's answers.
	if !domain.IsCode(err, domain.ENOTFOUND) || tries.Load() < 2 {
		t.Fatalf("after one stalled try: %v (%d tries), want Graph's answer after the stalled try", err, tries.Load())
	}
}
