package graphsim

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the endpoint list in doc.go from the route table")

// docEndpoints is the endpoint list of the package doc comment, as
// generated from the route table.
func docEndpoints() string {
	var b strings.Builder
	for _, r := range routeTable() {
		cost := ""
		if r.handle != nil {
			cost = fmt.Sprintf(" (%d RU", max(r.ru, 1))
			if r.write() {
				cost = " (1 RU, write"
			}
			cost += ")"
		}
		fmt.Fprintf(&b, "//\t%-6s %s%s\n//\t       %s\n", r.method, r.pattern, cost, r.doc)
	}
	return b.String()
}

// TestDocListsEveryRoute: the package doc lists exactly the route table.
// Run with -update after changing a route.
func TestDocListsEveryRoute(t *testing.T) {
	raw, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	const head = "-update` rewrites it):\n//\n"
	i := strings.Index(doc, head)
	if i < 0 {
		t.Fatalf("doc.go has no endpoint list introduced by %q", head)
	}
	i += len(head)
	j := i + strings.Index(doc[i:], "//\n")
	want := docEndpoints()
	if doc[i:j] == want {
		return
	}
	if !*update {
		t.Fatalf("the endpoint list in doc.go differs from the route table; run\n\tgo test ./devenv/graphsim -run TestDocListsEveryRoute -update\nwant:\n%s\ngot:\n%s", want, doc[i:j])
	}
	if err := os.WriteFile("doc.go", []byte(doc[:i]+want+doc[j:]), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRoutesAreWellFormed: every row names a method, a documentation
// page on Microsoft Learn and exactly one of handle and serve; no two rows
// share a method and pattern.
func TestRoutesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range routeTable() {
		if r.method == "" || !strings.HasPrefix(r.pattern, "/") || !strings.HasPrefix(r.doc, "learn.microsoft.com/") {
			t.Errorf("%s %s: incomplete row (doc %q)", r.method, r.pattern, r.doc)
		}
		if (r.handle == nil) == (r.serve == nil) {
			t.Errorf("%s: want exactly one of handle and serve", r.name())
		}
		if seen[r.name()] {
			t.Errorf("%s: listed twice", r.name())
		}
		seen[r.name()] = true
	}
}

// TestRouteMatching: named parameters, the alternate key in its accepted
// spellings, literal segments before parameters, and a known path under
// another method.
func TestRouteMatching(t *testing.T) {
	rt := newRouter(routeTable())
	for _, tc := range []struct {
		method, path, want string
		params             params
		handled            bool
	}{
		{"GET", "/v1.0/users/delta", "GET /v1.0/users/delta", nil, true},
		{"GET", "/v1.0/users/ann@contoso.com", "GET /v1.0/users/{id}", params{"id": "ann@contoso.com"}, true},
		{"GET", "/v1.0/users/u1/memberOf/", "GET /v1.0/users/{id}/memberOf", params{"id": "u1"}, true},
		{"GET", "/v1.0/applications(appId='a1')", "GET /v1.0/applications(appId='{appId}')", params{"appId": "a1"}, true},
		{"PATCH", "/v1.0/servicePrincipals(appid = a1)", "PATCH /v1.0/servicePrincipals(appId='{appId}')", params{"appId": "a1"}, true},
		{"DELETE", "/v1.0/servicePrincipals/s1/claimsMappingPolicies/p1/$ref", "DELETE /v1.0/servicePrincipals/{id}/claimsMappingPolicies/{pid}/$ref", params{"id": "s1", "pid": "p1"}, true},
		{"DELETE", "/v1.0/applications/x", "DELETE /v1.0/applications/{id}", params{"id": "x"}, false},
		{"POST", "/msi/token", "GET /msi/token", nil, true},
	} {
		r, p := rt.match(tc.method, tc.path)
		if r == nil {
			t.Errorf("%s %s: no route", tc.method, tc.path)
			continue
		}
		if r.name() != tc.want || (r.handle != nil || r.serve != nil) != tc.handled || fmt.Sprint(p) != fmt.Sprint(tc.params) {
			t.Errorf("%s %s: got %s %v (handled %v), want %s %v (handled %v)", tc.method, tc.path, r.name(), p, r.handle != nil || r.serve != nil, tc.want, tc.params, tc.handled)
		}
	}
	if r, _ := rt.match("GET", "/v1.0/me"); r != nil {
		t.Errorf("/v1.0/me: got %s, want no route", r.name())
	}
}
