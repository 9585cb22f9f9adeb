package devhost_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/devhost"
)

func TestRepositoryFunctionsAreValid(t *testing.T) {
	fns, err := devhost.LoadFunctions(filepath.Join(devhost.RepoRoot(), "functions"))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*devhost.Function{}
	for _, f := range fns {
		byName[f.Name] = f
	}
	h, ok := byName["health"]
	if !ok || !h.IsHTTP() || h.Trigger.AuthLevel != "anonymous" || h.Route != "health" {
		t.Fatalf("health must be an anonymous HTTP function on route health, got %+v", h)
	}
}

func TestInvalidFunctionJSON(t *testing.T) {
	cases := map[string]string{
		"no trigger":        `{"bindings":[{"type":"http","direction":"out","name":"res"}]}`,
		"two triggers":      `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"function","methods":["get"]},{"type":"timerTrigger","direction":"in","name":"t","schedule":"0 0 2 * * *"},{"type":"http","direction":"out","name":"res"}]}`,
		"bad auth level":    `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"user","methods":["get"]},{"type":"http","direction":"out","name":"res"}]}`,
		"no http output":    `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"function","methods":["get"]}]}`,
		"bad method":        `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"function","methods":["fetch"]},{"type":"http","direction":"out","name":"res"}]}`,
		"five-field cron":   `{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"0 2 * * *"}]}`,
		"api prefix route":  `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"function","methods":["get"],"route":"api/x"},{"type":"http","direction":"out","name":"res"}]}`,
		"unknown field":     `{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"0 0 2 * * *","schedual":"x"}]}`,
		"trigger direction": `{"bindings":[{"type":"timerTrigger","direction":"out","name":"timer","schedule":"0 0 2 * * *"}]}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "function.json")
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := devhost.ParseFunction("x", p); err == nil {
				t.Fatalf("accepted invalid function.json: %s", body)
			}
		})
	}
}

// TestBinaryThroughHost builds the handler, starts it as the host does, polls
// it ready, invokes health through /api/health, checks that every routed
// function has a folder and every folder is routed, and stops it with SIGTERM.
func TestBinaryThroughHost(t *testing.T) {
	root, err := devhost.AssembleAppRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h, err := devhost.New(devhost.Options{AppRoot: root, Env: MinimalSettings(), FunctionKey: "fkey-0123456789", MasterKey: "mkey-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			h.Kill()
		}
	}()
	t.Logf("handler ready %s after exec", h.Ready)
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/health = %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var health map[string]any
	if err := json.Unmarshal(body, &health); err != nil || health["status"] != "ok" || health["version"] == "" || len(health) != 2 {
		t.Fatalf("health must say status and version only: %s (%v)", body, err)
	}
	if strings.Contains(string(body), "AccountKey") || strings.Contains(string(body), "SharedAccessKey") {
		t.Fatalf("health leaks a secret: %s", body)
	}
	// Every folder is routed: the handler knows each name (an unknown one is
	// 404 to the host; a routed one gets past the router).
	var folders []string
	for name := range h.Functions() {
		folders = append(folders, name)
	}
	sort.Strings(folders)
	for _, name := range folders {
		st, out, err := h.Invoke(context.Background(), name, []byte(`{"Data":{},"Metadata":{}}`))
		if err != nil || st == http.StatusNotFound {
			t.Errorf("function folder %s is not routed by the handler: %d %s %v", name, st, out, err)
		}
	}
	if st, _, _ := h.Invoke(context.Background(), "no-such-function", []byte(`{"Data":{},"Metadata":{}}`)); st != http.StatusNotFound {
		t.Errorf("an unknown function name answered %d, want 404", st)
	}

	if r, _ := http.Post(srv.URL+"/api/health", "application/json", nil); r == nil || r.StatusCode != 405 {
		t.Fatalf("POST /api/health must be 405 (methods: get), got %v", r)
	}
	if r, _ := http.Get(srv.URL + "/api/nope"); r == nil || r.StatusCode != 404 {
		t.Fatalf("unknown route must be 404, got %v", r)
	}
	// An unknown function and a malformed envelope reach the handler directly.
	st, out, err := h.Invoke(context.Background(), "nope", []byte(`{"Data":{},"Metadata":{}}`))
	if err != nil || st != 404 || !strings.Contains(string(out), `unknown function \"nope\"`) {
		t.Fatalf("unknown function: %d %s %v", st, out, err)
	}
	st, out, _ = h.Invoke(context.Background(), "health", []byte(`{"Data":`))
	if st != 400 || !strings.Contains(string(out), "malformed envelope") {
		t.Fatalf("malformed envelope: %d %s", st, out)
	}
	stopped = true
	if err := h.Stop(); err != nil {
		t.Fatalf("handler did not exit cleanly on SIGTERM: %v", err)
	}
}
