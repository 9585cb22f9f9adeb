package graphsim_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
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

func TestUsersPagingIsStableAndComplete(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 5, Users: 1234, Mix: graphsim.Mix{Guests: 0.2, UPNMismatch: 0.1}})
	items, pages := scanAll(t, srv, "/v1.0/users?$select=id,userPrincipalName,mail&$top=100", nil)
	if len(items) != 1234 || pages != 13 {
		t.Fatalf("got %d users in %d pages, want 1234 in 13", len(items), pages)
	}
	prev := ""
	ids := map[string]bool{}
	for _, u := range items {
		k := strings.ToLower(u["userPrincipalName"].(string))
		if k <= prev {
			t.Fatalf("order broken: %q after %q", k, prev)
		}
		prev = k
		ids[u["id"].(string)] = true
		if _, ok := u["displayName"]; ok {
			t.Fatalf("unselected property served: %v", u)
		}
	}
	if len(ids) != 1234 {
		t.Errorf("%d distinct ids", len(ids))
	}
	// Default page (100) and properties without $select.
	r := call(t, srv, "GET", "/v1.0/users", nil, nil)
	if n := len(r.values()); n != 100 {
		t.Errorf("default page size %d, want 100", n)
	}
	if _, ok := r.values()[0]["businessPhones"]; !ok {
		t.Errorf("default properties missing: %v", r.values()[0])
	}
	if _, ok := r.values()[0]["accountEnabled"]; ok {
		t.Errorf("accountEnabled is returned only on $select")
	}
	// A change during the scan: the user is seen once.
	first := call(t, srv, "GET", "/v1.0/users?$select=id,userPrincipalName&$top=500", nil, nil)
	moved := first.values()[10]["id"].(string)
	if err := srv.Tenant().UpdateUser(moved, func(u *graphsim.User) { u.UserPrincipalName = "zzz.moved@contoso.com" }); err != nil {
		t.Fatal(err)
	}
	rest, _ := scanAll(t, srv, first.str("@odata.nextLink"), nil)
	seen := 0
	for _, u := range append(first.values(), rest...) {
		if u["id"] == moved {
			seen++
		}
	}
	// Graph gives no snapshot either: the user was served on page 1 under
	// its old UPN and comes again under its new one, later in the order.
	if seen != 2 || len(first.values())+len(rest) != 1235 {
		t.Errorf("moved user seen %d times in %d items, want 2 in 1235", seen, len(first.values())+len(rest))
	}
}

func TestUserFilters(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 2, Users: 3000, Mix: graphsim.Mix{Guests: 0.1, Disabled: 0.1, MailMissing: 0.1}})
	ten := srv.Tenant()
	var all []graphsim.User
	ten.EachUser(func(u graphsim.User) bool { all = append(all, u); return true })
	count := func(pred func(graphsim.User) bool) int {
		n := 0
		for _, u := range all {
			if pred(u) {
				n++
			}
		}
		return n
	}
	lower := func(u graphsim.User) string { return strings.ToLower(u.UserPrincipalName) }
	adv := map[string]string{"ConsistencyLevel": "eventual"}
	for _, tc := range []struct {
		name, filter string
		hdr          map[string]string
		count        bool
		want         func(graphsim.User) bool // nil: refused
		wantCode     string
	}{
		{"startswith", "startswith(userPrincipalName,'a')", nil, false, func(u graphsim.User) bool { return strings.HasPrefix(lower(u), "a") }, ""},
		{"startsWith-or", "startsWith(userPrincipalName,'b') or startswith(userPrincipalName,'C')", nil, false, func(u graphsim.User) bool { return lower(u)[0] == 'b' || lower(u)[0] == 'c' }, ""},
		{"ge-le range", "userPrincipalName ge 'd' and userPrincipalName le 'f'", nil, false, func(u graphsim.User) bool { return lower(u) >= "d" && lower(u) <= "f" }, ""},
		{"lt refused", "userPrincipalName ge 'a' and userPrincipalName lt 'b'", nil, false, nil, "Request_UnsupportedQuery"},
		{"gt refused", "userPrincipalName gt 'a'", nil, false, nil, "Request_UnsupportedQuery"},
		{"not needs advanced", "not startswith(userPrincipalName,'a')", nil, false, nil, "Request_UnsupportedQuery"},
		{"not needs $count too", "not startswith(userPrincipalName,'a')", adv, false, nil, "Request_UnsupportedQuery"},
		{"not advanced", "not startswith(userPrincipalName,'a')", adv, true, func(u graphsim.User) bool { return !strings.HasPrefix(lower(u), "a") }, ""},
		{"endswith advanced", "endswith(userPrincipalName,'onmicrosoft.com')", adv, true, func(u graphsim.User) bool { return strings.HasSuffix(lower(u), "onmicrosoft.com") }, ""},
		{"endswith default refused", "endswith(userPrincipalName,'onmicrosoft.com')", nil, false, nil, "Request_UnsupportedQuery"},
		{"accountEnabled", "accountEnabled eq false", nil, false, func(u graphsim.User) bool { return !u.AccountEnabled }, ""},
		{"userType", "userType eq 'Guest'", nil, false, func(u graphsim.User) bool { return u.UserType == "Guest" }, ""},
		{"mail null", "mail eq null", nil, false, func(u graphsim.User) bool { return u.Mail == "" }, ""},
		{"upn or mail", "userPrincipalName eq '" + all[7].UserPrincipalName + "' or mail eq '" + all[7].UserPrincipalName + "'", nil, false, func(u graphsim.User) bool {
			return strings.EqualFold(u.UserPrincipalName, all[7].UserPrincipalName) || strings.EqualFold(u.Mail, all[7].UserPrincipalName)
		}, ""},
		{"unknown property", "jobTitle eq 'x'", nil, false, nil, "Request_UnsupportedQuery"},
		{"contains", "contains(userPrincipalName,'a')", nil, false, nil, "Request_BadRequest"},
		{"syntax", "userPrincipalName eq 'unterminated", nil, false, nil, "Request_BadRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{"$filter": {tc.filter}, "$select": {"id,userPrincipalName"}, "$top": {"999"}}
			if tc.count {
				q.Set("$count", "true")
			}
			path := "/v1.0/users?" + q.Encode()
			if tc.want == nil {
				r := call(t, srv, "GET", path, nil, tc.hdr)
				if r.status != 400 || r.errCode() != tc.wantCode {
					t.Fatalf("got %d %s %s, want 400 %s", r.status, r.errCode(), r.raw, tc.wantCode)
				}
				return
			}
			items, _ := scanAll(t, srv, path, tc.hdr)
			if want := count(tc.want); len(items) != want || want == 0 {
				t.Fatalf("filter %q: %d users, want %d (> 0)", tc.filter, len(items), want)
			}
			if tc.count {
				r := call(t, srv, "GET", path, nil, tc.hdr)
				if c, _ := r.body["@odata.count"].(float64); int(c) != count(tc.want) {
					t.Errorf("@odata.count %v, want %d", r.body["@odata.count"], count(tc.want))
				}
			}
		})
	}
	// A sharded scan: 26 startswith shards plus the advanced complement
	// cover every user exactly once.
	total := 0
	var shards []string
	for c := 'a'; c <= 'z'; c++ {
		items, _ := scanAll(t, srv, "/v1.0/users?$select=id&$top=999&$filter="+url.QueryEscape("startswith(userPrincipalName,'"+string(c)+"')"), nil)
		total += len(items)
		shards = append(shards, "startswith(userPrincipalName,'"+string(c)+"')")
	}
	rest, _ := scanAll(t, srv, "/v1.0/users?$count=true&$select=id&$filter="+url.QueryEscape("not ("+strings.Join(shards, " or ")+")"), adv)
	if total+len(rest) != len(all) {
		t.Errorf("shards %d + complement %d != %d users", total, len(rest), len(all))
	}
}

func TestGetUserByIDAndUPN(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 4, Users: 50, Mix: graphsim.Mix{Guests: 0.5}})
	tr := srv.Tenant().Truth(3)
	for _, key := range []string{tr.User.ID, tr.User.UserPrincipalName, strings.ToUpper(tr.User.UserPrincipalName)} {
		r := call(t, srv, "GET", "/v1.0/users/"+url.PathEscape(key)+"?$select=id,userPrincipalName,accountEnabled", nil, nil)
		if r.status != 200 || r.str("id") != tr.User.ID || !strings.HasSuffix(r.str("@odata.context"), "/$entity") {
			t.Errorf("GET user %q: %d %s", key, r.status, r.raw)
		}
	}
	r := call(t, srv, "GET", "/v1.0/users/nobody@contoso.com", nil, nil)
	if r.status != 404 || r.errCode() != "Request_ResourceNotFound" {
		t.Errorf("unknown user: %d %s", r.status, r.raw)
	}
	e := r.body["error"].(map[string]any)["innerError"].(map[string]any)
	if e["request-id"] == "" || e["date"] == "" || e["client-request-id"] == "" {
		t.Errorf("innerError incomplete: %v", e)
	}
}

func TestUsersDelta(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 8, Users: 450})
	ten := srv.Tenant()
	hdr := map[string]string{"Prefer": "odata.maxpagesize=100"}
	items, pages := scanAll(t, srv, "/v1.0/users/delta?$select=id,userPrincipalName,mail", hdr)
	if len(items) != 450 || pages != 5 {
		t.Fatalf("initial round: %d users in %d pages", len(items), pages)
	}
	deltaLink := func(path string) ([]map[string]any, string) {
		var out []map[string]any
		for next := path; ; {
			r := call(t, srv, "GET", next, nil, hdr)
			if r.status != 200 {
				t.Fatalf("GET %s: %d %s", next, r.status, r.raw)
			}
			out = append(out, r.values()...)
			if n := r.str("@odata.nextLink"); n != "" {
				next = n
				continue
			}
			if r.str("@odata.deltaLink") == "" {
				t.Fatalf("last page without deltaLink: %s", r.raw)
			}
			return out, r.str("@odata.deltaLink")
		}
	}
	_, link := deltaLink("/v1.0/users/delta?$select=id,userPrincipalName,mail")
	none, link := deltaLink(link)
	if len(none) != 0 {
		t.Fatalf("no change, got %d items", len(none))
	}
	// Three changes to selected properties, one to an unselected one, one
	// deletion, one new user.
	for i := 0; i < 3; i++ {
		if err := ten.UpdateUser(ten.Truth(i*100).User.ID, func(u *graphsim.User) { u.Mail = "changed@contoso.com" }); err != nil {
			t.Fatal(err)
		}
	}
	_ = ten.UpdateUser(ten.Truth(5).User.ID, func(u *graphsim.User) { u.JobTitle = "Engineer" })
	_ = ten.DeleteUser(ten.Truth(6).User.ID)
	added := ten.AddUser(graphsim.User{UserPrincipalName: "new@contoso.com", Mail: "new@contoso.com", AccountEnabled: true})
	got, link := deltaLink(link)
	if len(got) != 5 {
		t.Fatalf("delta round: %d items, want 5: %v", len(got), got)
	}
	kinds := map[string]int{}
	for _, it := range got {
		switch {
		case it["@removed"] != nil:
			kinds["removed"]++
		case it["id"] == added.ID:
			kinds["added"]++
		case it["mail"] == "changed@contoso.com":
			kinds["changed"]++
		}
	}
	if kinds["removed"] != 1 || kinds["added"] != 1 || kinds["changed"] != 3 {
		t.Errorf("delta kinds %v", kinds)
	}
	// latest: only a deltaLink.
	r := call(t, srv, "GET", "/v1.0/users/delta?$deltatoken=latest", nil, nil)
	if r.status != 200 || len(r.values()) != 0 || r.str("@odata.deltaLink") == "" {
		t.Errorf("latest: %d %s", r.status, r.raw)
	}
	// Expired and invalid tokens: 410 with a Location that starts over.
	ten.ExpireDeltaTokens()
	for _, u := range []string{link, "/v1.0/users/delta?$deltatoken=garbage"} {
		r := call(t, srv, "GET", u, nil, nil)
		if r.status != 410 || r.header.Get("Location") == "" || r.errCode() != "syncStateNotFound" {
			t.Fatalf("expired token: %d %v %s", r.status, r.header, r.raw)
		}
	}
	restart := call(t, srv, "GET", "/v1.0/users/delta?$select=id,userPrincipalName,mail", nil, nil)
	if restart.status != 200 {
		t.Fatalf("a new round after 410: %d", restart.status)
	}
	if r := call(t, srv, "GET", "/v1.0/users/delta?$orderby=displayName", nil, nil); r.status != 400 {
		t.Errorf("$orderby on delta: %d, want 400", r.status)
	}
	if r := call(t, srv, "GET", "/v1.0/users/delta?$top=5", nil, map[string]string{"Prefer": "odata.maxpagesize=999"}); r.status != 200 || len(r.values()) != 200 {
		t.Errorf("$top ignored and maxpagesize capped at 200: %d, %d items", r.status, len(r.values()))
	}
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

func TestAssignmentsMembersAndClaims(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 11, Users: 5000, Mix: graphsim.Mix{DirectAssigned: 0.1, GroupAssigned: 0.2, NestedOnly: 0.05}})
	ten := srv.Tenant()
	apps := ten.Apps()
	if len(apps) != 1 {
		t.Fatalf("%d seeded apps", len(apps))
	}
	var direct, group, nested int
	var gid string
	ten.EachTruth(func(tr graphsim.Truth) bool {
		switch tr.Access {
		case graphsim.AccessDirect:
			direct++
		case graphsim.AccessGroup:
			group++
			gid = tr.Group
		case graphsim.AccessNestedOnly:
			nested++
		}
		return true
	})
	items, _ := scanAll(t, srv, "/v1.0/servicePrincipals/"+apps[0].SPID+"/appRoleAssignedTo?$top=999", nil)
	users, groups := 0, 0
	for _, a := range items {
		switch a["principalType"] {
		case "User":
			users++
		case "Group":
			groups++
		}
	}
	if users != direct || groups != 1 {
		t.Errorf("assignments: %d users (want %d), %d groups (want 1)", users, direct, groups)
	}
	members, _ := scanAll(t, srv, "/v1.0/groups/"+gid+"/members?$select=id,userPrincipalName,mail&$top=999", nil)
	var memberUsers, memberGroups int
	for _, m := range members {
		switch m["@odata.type"] {
		case "#microsoft.graph.user":
			memberUsers++
		case "#microsoft.graph.group":
			memberGroups++
		}
	}
	if memberUsers != group || memberGroups != 1 {
		t.Errorf("members: %d users (want %d direct), %d nested groups (want 1)", memberUsers, group, memberGroups)
	}
	// Claims: the seeded app has a mapping policy; the beta policy can be put.
	r := call(t, srv, "GET", "/v1.0/servicePrincipals/"+apps[0].SPID+"/claimsMappingPolicies", nil, nil)
	if len(r.values()) != 1 || !strings.Contains(r.values()[0]["definition"].([]any)[0].(string), "userprincipalname") {
		t.Errorf("claims mapping policies: %s", r.raw)
	}
	if r := call(t, srv, "GET", "/beta/servicePrincipals/"+apps[0].SPID+"/claimsPolicy", nil, nil); r.status != 404 {
		t.Errorf("no custom claims policy yet: %d", r.status)
	}
	claim := map[string]any{"claims": []any{map[string]any{"@odata.type": "#microsoft.graph.customClaim", "name": "emailaddress", "tokenFormat": []any{"saml"},
		"configurations": []any{map[string]any{"attribute": map[string]any{"@odata.type": "#microsoft.graph.sourcedAttribute", "id": "userprincipalname", "source": "user"}}}}}}
	if r := call(t, srv, "PUT", "/beta/servicePrincipals/"+apps[0].SPID+"/claimsPolicy", claim, nil); r.status != 201 {
		t.Errorf("put claimsPolicy: %d %s", r.status, r.raw)
	}
	if r := call(t, srv, "GET", "/beta/servicePrincipals/"+apps[0].SPID+"/claimsPolicy", nil, nil); r.status != 200 || len(r.body["claims"].([]any)) != 1 {
		t.Errorf("get claimsPolicy: %d %s", r.status, r.raw)
	}
	// A duplicate assignment is refused.
	first := items[len(items)-1]
	body := map[string]any{"principalId": first["principalId"], "resourceId": apps[0].SPID, "appRoleId": first["appRoleId"]}
	if r := call(t, srv, "POST", "/v1.0/servicePrincipals/"+apps[0].SPID+"/appRoleAssignedTo", body, nil); r.status != 400 {
		t.Errorf("duplicate assignment: %d %s", r.status, r.raw)
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

func TestIdentifierURIRules(t *testing.T) {
	const urn = "urn:amazon:cognito:sp:us-west-2_hZkGBmIsz"
	for _, tc := range []struct {
		name     string
		mode     graphsim.PolicyMode
		patch    func(appID string) map[string]any
		wantCode string
	}{
		{"v2 tokens exempt in the same patch", graphsim.PolicyDefault, func(string) map[string]any {
			return map[string]any{"api": map[string]any{"requestedAccessTokenVersion": 2}, "identifierUris": []any{urn}}
		}, ""},
		{"verified domain passes default", graphsim.PolicyDefault, func(string) map[string]any {
			return map[string]any{"identifierUris": []any{"https://sso.contoso.com/aircall"}}
		}, ""},
		{"unverified host refused", graphsim.PolicyOff, func(string) map[string]any {
			return map[string]any{"identifierUris": []any{"https://sso.aircall.io"}}
		}, "HostNameNotOnVerifiedDomain"},
		{"api://appId passes strict", graphsim.PolicyStrict, func(appID string) map[string]any {
			return map[string]any{"identifierUris": []any{"api://" + appID}}
		}, ""},
		{"trailing slash", graphsim.PolicyOff, func(string) map[string]any {
			return map[string]any{"identifierUris": []any{"urn:x/"}}
		}, "Request_BadRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := graphsim.Start(t, graphsim.Options{})
			srv.Tenant().SetPolicyMode(tc.mode)
			app := srv.Tenant().CreateApp("Aircall")
			r := call(t, srv, "PATCH", "/v1.0/applications/"+app.ObjectID, tc.patch(app.AppID), nil)
			if tc.wantCode == "" && r.status != 204 || tc.wantCode != "" && (r.status != 400 || r.errCode() != tc.wantCode) {
				t.Fatalf("got %d %s, want %q", r.status, r.raw, tc.wantCode)
			}
			pol := call(t, srv, "GET", "/v1.0/policies/defaultAppManagementPolicy", nil, nil)
			if pol.status != 200 || pol.body["isEnabled"] != (tc.mode != graphsim.PolicyOff) {
				t.Errorf("defaultAppManagementPolicy: %d %s", pol.status, pol.raw)
			}
		})
	}
}

func TestCountMatchesScanAfterChanges(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 6, Users: 2000})
	ten := srv.Tenant()
	_ = ten.DeleteUser(ten.Truth(10).User.ID)
	_ = ten.UpdateUser(ten.Truth(20).User.ID, func(u *graphsim.User) { u.UserPrincipalName = "Zed.Moved@contoso.com" })
	ten.AddUser(graphsim.User{UserPrincipalName: "bea.new@contoso.com"})
	ten.AddUser(graphsim.User{UserPrincipalName: "0ops@contoso.com"})
	adv := map[string]string{"ConsistencyLevel": "eventual"}
	for _, f := range []string{"", "userPrincipalName ge 'b' and userPrincipalName le 'm'", "userPrincipalName ge 'z'", "userPrincipalName le 'a'", "startswith(userPrincipalName,'b')"} {
		q := url.Values{"$select": {"id"}, "$top": {"999"}, "$count": {"true"}}
		if f != "" {
			q.Set("$filter", f)
		}
		items, _ := scanAll(t, srv, "/v1.0/users?"+q.Encode(), adv)
		r := call(t, srv, "GET", "/v1.0/users?"+q.Encode(), nil, adv)
		if c, _ := r.body["@odata.count"].(float64); int(c) != len(items) {
			t.Errorf("filter %q: @odata.count %v, scan %d", f, r.body["@odata.count"], len(items))
		}
	}
	if n := ten.UserCount(); n != 2001 {
		t.Errorf("UserCount %d, want 2001", n)
	}
}

// TestConcurrentScansAndChanges runs parallel sharded scans while a test
// changes users: every scan completes and every shard stays in its range.
// (Go's runtime aborts on unsynchronised map access even without -race.)
func TestConcurrentScansAndChanges(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 12, Users: 20000})
	ten := srv.Tenant()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_ = ten.UpdateUser(ten.Truth(i%20000).User.ID, func(u *graphsim.User) { u.Mail = "m" + u.Mail })
			if i%50 == 0 {
				ten.AddUser(graphsim.User{UserPrincipalName: "x" + strings.Repeat("y", i%7) + "@contoso.com"})
			}
		}
	}()
	errs := make(chan error, 4)
	for _, shard := range []string{"a", "g", "m", "t"} {
		go func() {
			f := url.QueryEscape("userPrincipalName ge '" + shard + "' and userPrincipalName le '" + shard + "zzz'")
			items, err := scanPlain(srv, "/v1.0/users?$select=id,userPrincipalName&$top=500&$filter="+f)
			if err != nil {
				errs <- err
				return
			}
			for _, u := range items {
				if k := strings.ToLower(u["userPrincipalName"].(string)); !strings.HasPrefix(k, shard) {
					errs <- errors.New("user " + k + " outside shard " + shard)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	close(stop)
	<-done
}

// scanPlain is scanAll for goroutines: it returns errors instead of
// failing the test.
func scanPlain(srv *graphsim.Server, path string) ([]map[string]any, error) {
	tok, _ := srv.Credential().GetToken(context.Background(), policy.TokenRequestOptions{})
	var out []map[string]any
	for next := srv.URL() + path; next != ""; {
		req, _ := http.NewRequest("GET", next, nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			Next  string           `json:"@odata.nextLink"`
			Value []map[string]any `json:"value"`
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			return nil, errors.New("GET " + next + ": " + res.Status)
		}
		out = append(out, page.Value...)
		next = page.Next
	}
	return out, nil
}

// TestExpandMemberOf: /users?$expand=memberOf follows Graph's documented
// limits — at most 20 expanded groups and no link to the rest, pages of at
// most 100 users, nested $select honoured, other navigation properties 400.
func TestExpandMemberOf(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 5, Users: 300})
	ten := srv.Tenant()
	tr := ten.Truth(7)
	for i := 0; i < 25; i++ {
		gid := ten.AddGroup("Team " + string(rune('A'+i)))
		if err := ten.AddMember(gid, tr.User.ID); err != nil {
			t.Fatal(err)
		}
	}
	q := url.Values{}
	q.Set("$filter", "userPrincipalName eq '"+tr.User.UserPrincipalName+"'")
	q.Set("$select", "id,userPrincipalName")
	q.Set("$expand", "memberOf($select=id,displayName)")
	r := call(t, srv, "GET", "/v1.0/users?"+q.Encode(), nil, nil)
	if r.status != 200 || len(r.values()) != 1 {
		t.Fatalf("filter + expand: %d %s", r.status, r.raw)
	}
	groups, _ := r.values()[0]["memberOf"].([]any)
	if len(groups) != 20 {
		t.Fatalf("expanded %d groups of 25, want Graph's 20", len(groups))
	}
	g := groups[0].(map[string]any)
	if g["@odata.type"] != "#microsoft.graph.group" || g["id"] == nil || g["displayName"] == nil || g["securityEnabled"] != nil {
		t.Errorf("nested $select not honoured: %v", g)
	}
	if _, ok := r.values()[0]["memberOf@odata.nextLink"]; ok {
		t.Errorf("Graph gives no link to the rest of an expansion: %s", r.raw)
	}

	r = call(t, srv, "GET", "/v1.0/users?$top=999&$expand=memberOf", nil, nil)
	if r.status != 200 || len(r.values()) != 100 || r.str("@odata.nextLink") == "" {
		t.Errorf("$top=999 with $expand: %d users, nextLink %q; want pages of 100", len(r.values()), r.str("@odata.nextLink"))
	}
	r = call(t, srv, "GET", "/v1.0/users?$expand=manager", nil, nil)
	if r.status != 400 {
		t.Errorf("$expand=manager: %d %s, want 400", r.status, r.raw)
	}
}

// TestLookupByUPNOrMail: the one-user lookup ("userPrincipalName eq … or
// mail eq …") is answered from indexes and stays right as users change:
// a changed mail, a deleted user, two users sharing a mail (served in UPN
// order), an unknown address.
func TestLookupByUPNOrMail(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 8, Users: 500, Mix: graphsim.Mix{UPNMismatch: 0.3}})
	ten := srv.Tenant()
	ids := func(key string) []string {
		t.Helper()
		q := url.Values{}
		q.Set("$filter", "userPrincipalName eq '"+key+"' or mail eq '"+key+"'")
		q.Set("$select", "id")
		r := call(t, srv, "GET", "/v1.0/users?"+q.Encode(), nil, nil)
		if r.status != 200 {
			t.Fatalf("lookup %s: %d %s", key, r.status, r.raw)
		}
		var out []string
		for _, v := range r.values() {
			out = append(out, v["id"].(string))
		}
		return out
	}
	a, b := ten.Truth(10).User, ten.Truth(20).User
	if got := ids(strings.ToUpper(a.Mail)); len(got) != 1 || got[0] != a.ID {
		t.Fatalf("by mail, any case: %v, want [%s]", got, a.ID)
	}
	if got := ids(a.UserPrincipalName); len(got) != 1 || got[0] != a.ID {
		t.Fatalf("by UPN: %v, want [%s]", got, a.ID)
	}
	oldMail := a.Mail
	if err := ten.UpdateUser(a.ID, func(u *graphsim.User) { u.Mail = "renamed@contoso.com" }); err != nil {
		t.Fatal(err)
	}
	if got := ids(oldMail); len(got) != 0 && oldMail != a.UserPrincipalName {
		t.Errorf("old mail still finds %v after the change", got)
	}
	if got := ids("renamed@contoso.com"); len(got) != 1 || got[0] != a.ID {
		t.Errorf("new mail: %v, want [%s]", got, a.ID)
	}
	twin := ten.AddUser(graphsim.User{UserPrincipalName: "aaa-twin@contoso.com", Mail: b.Mail, DisplayName: "Twin", AccountEnabled: true, UserType: "Member"})
	if got := ids(b.Mail); len(got) != 2 || got[0] != twin.ID || got[1] != b.ID {
		t.Errorf("two users with mail %s: %v, want [%s %s] (UPN order)", b.Mail, got, twin.ID, b.ID)
	}
	if err := ten.DeleteUser(b.ID); err != nil {
		t.Fatal(err)
	}
	if got := ids(b.Mail); len(got) != 1 || got[0] != twin.ID {
		t.Errorf("after deleting %s: %v, want [%s]", b.ID, got, twin.ID)
	}
	if got := ids("nobody@contoso.com"); len(got) != 0 {
		t.Errorf("unknown address found %v", got)
	}
}
