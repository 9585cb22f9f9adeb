package graphsim_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

// resp is a decoded Graph answer.
type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r resp) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r resp) values() []map[string]any {
	var out []map[string]any
	for _, v := range r.body["value"].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func (r resp) str(k string) string { s, _ := r.body[k].(string); return s }

// call sends one request with a valid token (unless hdr sets
// Authorization) to srv's plain-http base.
func call(t *testing.T, srv *graphsim.Server, method, pathOrURL string, body any, hdr map[string]string) resp {
	t.Helper()
	u := pathOrURL
	if strings.HasPrefix(u, "/") {
		u = srv.URL() + u
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := srv.Credential().GetToken(context.Background(), policy.TokenRequestOptions{})
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: invalid JSON %q: %v", method, u, raw, err)
		}
	}
	return r
}

// scanAll follows nextLinks from path and returns every item.
func scanAll(t *testing.T, srv *graphsim.Server, path string, hdr map[string]string) ([]map[string]any, int) {
	t.Helper()
	var out []map[string]any
	pages := 0
	for next := path; next != ""; {
		r := call(t, srv, "GET", next, nil, hdr)
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", next, r.status, r.raw)
		}
		pages++
		out = append(out, r.values()...)
		next = r.str("@odata.nextLink")
	}
	return out, pages
}

func TestFaultsAndThrottling(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 1, Users: 100})
	ten := srv.Tenant()
	ten.FailNext(1, 503, nil)
	if r := call(t, srv, "GET", "/v1.0/users", nil, nil); r.status != 503 || r.header.Get("Retry-After") == "" || r.errCode() != "serviceNotAvailable" {
		t.Errorf("injected 503: %d %v", r.status, r.header)
	}
	ten.FailNext(1, 0, nil)
	req, _ := http.NewRequest("GET", srv.URL()+"/v1.0/users", nil)
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	if err == nil {
		t.Errorf("injected reset: want a transport or body read error")
	}
	// Budget: users with $select costs 1 RU; 5 RU per window.
	ten.SetBudget(5, time.Hour)
	for i := 0; i < 5; i++ {
		r := call(t, srv, "GET", "/v1.0/users?$select=id", nil, nil)
		if r.status != 200 {
			t.Fatalf("request %d within budget: %d", i, r.status)
		}
	}
	r := call(t, srv, "GET", "/v1.0/users?$select=id", nil, nil)
	if r.status != 429 || r.errCode() != "TooManyRequests" || r.header.Get("Retry-After") == "" ||
		!strings.HasPrefix(r.header.Get("x-ms-throttle-scope"), "Tenant_Application/Read/") || r.header.Get("x-ms-throttle-information") != "ResourceUnitLimitExceeded" {
		t.Errorf("over budget: %d %v %s", r.status, r.header, r.raw)
	}
	st := ten.Stats()
	if st.Throttled != 1 || st.ResourceUnits != 5 || st.Injected["503"] != 1 || st.Injected["reset"] != 1 {
		t.Errorf("stats %+v", st)
	}
	ten.SetBudget(0, 0)
	// Writes: 1 per window.
	ten.SetWriteBudget(1, time.Hour)
	app := ten.CreateApp("x")
	if r := call(t, srv, "PATCH", "/v1.0/applications/"+app.ObjectID, map[string]any{"notes": "a"}, nil); r.status != 204 {
		t.Fatalf("first write: %d", r.status)
	}
	if r := call(t, srv, "PATCH", "/v1.0/applications/"+app.ObjectID, map[string]any{"notes": "b"}, nil); r.status != 429 || r.header.Get("x-ms-throttle-information") != "WriteLimitExceeded" {
		t.Errorf("second write: %d %v", r.status, r.header)
	}
	ten.SetWriteBudget(0, 0)
	// Random faults are reproducible for a seed.
	pattern := func() string {
		ten.InjectFaults(graphsim.FaultSpec{Rate429: 0.3, Rate503: 0.2, Seed: 42})
		var b strings.Builder
		for i := 0; i < 30; i++ {
			b.WriteString(http.StatusText(call(t, srv, "GET", "/v1.0/users?$top=1", nil, nil).status)[:1])
		}
		return b.String()
	}
	if a, b := pattern(), pattern(); a != b || !strings.Contains(a, "T") || !strings.Contains(a, "S") || !strings.Contains(a, "O") {
		t.Errorf("fault patterns %q and %q: want equal and mixed", a, b)
	}
	ten.InjectFaults(graphsim.FaultSpec{})
	// Latency.
	ten.SetLatency(50 * time.Millisecond)
	start := time.Now()
	call(t, srv, "GET", "/v1.0/users?$top=1", nil, nil)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("latency: answered in %v", d)
	}
}

func TestGzipBodiesAndReplicationDelay(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{})
	ten := srv.Tenant()
	ten.SetReplicationDelay(300 * time.Millisecond)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"displayName":"Aircall"}`))
	_ = zw.Close()
	req, _ := http.NewRequest("POST", srv.URL()+"/v1.0/applicationTemplates/8adf8e6e-67b2-4cf2-a259-e3dc5476c621/instantiate", &gz)
	tok, _ := srv.Credential().GetToken(context.Background(), policy.TokenRequestOptions{})
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Application      map[string]any `json:"application"`
		ServicePrincipal map[string]any `json:"servicePrincipal"`
	}
	_ = json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	if res.StatusCode != 201 || created.Application["displayName"] != "Aircall" {
		t.Fatalf("instantiate with a gzip body: %d %v", res.StatusCode, created)
	}
	id := created.ServicePrincipal["id"].(string)
	if r := call(t, srv, "GET", "/v1.0/servicePrincipals/"+id, nil, nil); r.status != 404 {
		t.Errorf("before replication: %d, want 404", r.status)
	}
	if r := call(t, srv, "GET", "/v1.0/servicePrincipals?$filter="+url.QueryEscape("displayName eq 'Aircall'"), nil, nil); len(r.values()) != 0 {
		t.Errorf("listed before replication")
	}
	time.Sleep(350 * time.Millisecond)
	if r := call(t, srv, "GET", "/v1.0/servicePrincipals/"+id, nil, nil); r.status != 200 {
		t.Errorf("after replication: %d", r.status)
	}
	appID := created.Application["appId"].(string)
	if r := call(t, srv, "GET", "/v1.0/applications(appId='"+appID+"')?$select=id,appId", nil, nil); r.status != 200 || r.str("appId") != appID {
		t.Errorf("alternate key: %d %s", r.status, r.raw)
	}
	if r := call(t, srv, "PATCH", "/v1.0/applications/"+created.Application["id"].(string), map[string]any{"appId": "x"}, nil); r.status != 400 {
		t.Errorf("read-only property: %d", r.status)
	}
	if r := call(t, srv, "PATCH", "/v1.0/servicePrincipals/"+id, map[string]any{"bogus": 1}, nil); r.status != 400 {
		t.Errorf("unknown property: %d", r.status)
	}
}

func TestGeneratorIsDeterministic(t *testing.T) {
	mix := graphsim.Mix{UPNMismatch: 0.1, MailMissing: 0.05, Guests: 0.05, Disabled: 0.05}
	a, b := graphsim.GenerateTenant(7, 100000, mix), graphsim.GenerateTenant(7, 100000, mix)
	if a.ID() != b.ID() {
		t.Fatal("tenant id differs for one seed")
	}
	counts := map[graphsim.Problem]int{}
	prev := ""
	for i := 0; i < a.Size(); i += 7 {
		x, y := a.Truth(i), b.Truth(i)
		if x.User.ID != y.User.ID || x.User.UserPrincipalName != y.User.UserPrincipalName || x.Problems != y.Problems {
			t.Fatalf("user %d differs between two generations", i)
		}
		k := strings.ToLower(x.User.UserPrincipalName)
		if k <= prev {
			t.Fatalf("users not in UPN order at %d: %q after %q", i, k, prev)
		}
		prev = k
		for _, p := range []graphsim.Problem{graphsim.ProblemUPNMismatch, graphsim.ProblemMailMissing, graphsim.ProblemGuest, graphsim.ProblemDisabled} {
			if x.Problems&p != 0 {
				counts[p]++
			}
		}
		got, ok := a.User(x.User.ID)
		if !ok || got.UserPrincipalName != x.User.UserPrincipalName {
			t.Fatalf("lookup by id of user %d", i)
		}
		if x.Problems&graphsim.ProblemUPNMismatch != 0 && strings.EqualFold(x.User.Mail, x.User.UserPrincipalName) {
			t.Fatalf("user %d: mismatch flagged but mail equals UPN", i)
		}
	}
	n := a.Size() / 7
	for p, share := range map[graphsim.Problem]float64{graphsim.ProblemUPNMismatch: 0.1 * 0.95, graphsim.ProblemMailMissing: 0.05 * 0.95, graphsim.ProblemGuest: 0.05, graphsim.ProblemDisabled: 0.05} {
		if got := float64(counts[p]) / float64(n); got < share*0.8 || got > share*1.2 {
			t.Errorf("%s: share %.3f, want about %.3f", p, got, share)
		}
	}
	if c := graphsim.GenerateTenant(8, 10, mix); c.ID() == a.ID() {
		t.Error("another seed gives the same tenant")
	}
}
