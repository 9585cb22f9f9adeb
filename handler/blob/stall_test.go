package blob_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/handler/blob"
)

// TestStalledTryCostsOneTry: storage accepts the connection of a read and
// never answers; the try is given up after its deadline and retried, so the
// read gets its document.
func TestStalledTryCostsOneTry(t *testing.T) {
	conn := devtest.BlobConnectionString(t)
	m := regexp.MustCompile(`BlobEndpoint=(http://[^/;]+)`).FindStringSubmatch(conn)
	if m == nil {
		t.Fatalf("no BlobEndpoint in the connection string")
	}
	azurite, _ := url.Parse(m[1])
	proxy := httputil.NewSingleHostReverseProxy(azurite)
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	var stalled atomic.Int64
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && stalled.Add(1) == 1 {
			<-r.Context().Done() // accepted, never answered
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	s, err := blob.New(blob.Options{
		ConnectionString: regexp.MustCompile(`BlobEndpoint=http://[^/;]+`).ReplaceAllString(conn, "BlobEndpoint="+front.URL),
		Container:        devtest.UniqueName("stall-"),
		ClientOptions:    &service.ClientOptions{ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 3, RetryDelay: 10 * time.Millisecond}}},
		TryTimeout:       300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cp := s.Checkpoints()
	if _, err := cp.Save(ctx, "stall/x", []byte(`{"n":1}`), ""); err != nil {
		t.Fatal(err)
	}
	data, _, err := cp.Load(ctx, "stall/x")
	if err != nil || string(data) != `{"n":1}` || stalled.Load() < 2 {
		t.Fatalf("after one stalled try: %q %v (%d GETs), want the document on the next try", data, err, stalled.Load())
	}
}
