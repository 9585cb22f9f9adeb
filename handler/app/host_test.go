package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/devhost"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/app"
)

// pinSeededApp records the simulated tenant's seeded app as the pinned app,
// as an operator's earlier `handler provision --adopt` would have.
func pinSeededApp(t testing.TB, a *app.App, sim *graphsim.Server) {
	t.Helper()
	store, err := a.BlobStore()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Pins().SavePin(context.Background(), sim.Tenant().Apps()[0].Pin(), ""); err != nil {
		t.Fatal(err)
	}
}

// serveThroughHost puts the dev host, in process, in front of a's handler
// with the test's function and master keys, and an HTTP server in front of
// the host; both stop at cleanup. It returns the host and the server's URL.
func serveThroughHost(t testing.TB, a *app.App) (*devhost.Host, string) {
	t.Helper()
	h, err := devhost.New(devhost.Options{AppRoot: filepath.Join(devhost.RepoRoot(), "functions"), Handler: a.Handler(),
		FunctionKey: fnKey, MasterKey: masterKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Stop(); err != nil {
			t.Errorf("stop the dev host: %v", err)
		}
	})
	front := httptest.NewServer(h)
	t.Cleanup(front.Close)
	return h, front.URL
}

// hostRequest sends one request to the host with the function key (and a
// JSON content type when there is a body) and returns the response with its
// whole body read. It is safe from any goroutine (it reports, not fails).
func hostRequest(base, method, path, body string, header http.Header) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k := range header {
		req.Header.Set(k, header.Get(k))
	}
	req.Header.Set("x-functions-key", fnKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}
