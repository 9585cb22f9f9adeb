package graphsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

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
// most 100 users, other navigation properties 400; nested query options in
// $expand, $expand in an advanced query and eq values over 120 characters
// refused (learn.microsoft.com/graph/known-issues, "Some limitations apply
// to query parameters").
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
	if r := call(t, srv, "GET", "/v1.0/users?"+q.Encode(), nil, nil); r.status != 400 {
		t.Errorf("nested $select in $expand: %d %s, want 400", r.status, r.raw)
	}
	q.Set("$expand", "memberOf")
	q.Set("$count", "true")
	if r := call(t, srv, "GET", "/v1.0/users?"+q.Encode(), nil, map[string]string{"ConsistencyLevel": "eventual"}); r.status != 400 {
		t.Errorf("$expand in an advanced query: %d %s, want 400", r.status, r.raw)
	}
	q.Del("$count")
	long := strings.Repeat("a", 121) + "@contoso.com"
	lq := url.Values{"$filter": {"mail eq '" + long + "'"}}
	if r := call(t, srv, "GET", "/v1.0/users?"+lq.Encode(), nil, nil); r.status != 400 {
		t.Errorf("eq value over 120 characters: %d %s, want 400", r.status, r.raw)
	}
	lq.Set("$count", "true")
	if r := call(t, srv, "GET", "/v1.0/users?"+lq.Encode(), nil, map[string]string{"ConsistencyLevel": "eventual"}); r.status != 200 {
		t.Errorf("the same in an advanced query: %d %s, want 200", r.status, r.raw)
	}
	r := call(t, srv, "GET", "/v1.0/users?"+q.Encode(), nil, nil)
	if r.status != 200 || len(r.values()) != 1 {
		t.Fatalf("filter + expand: %d %s", r.status, r.raw)
	}
	groups, _ := r.values()[0]["memberOf"].([]any)
	if len(groups) != 20 {
		t.Fatalf("expanded %d groups of 25, want Graph's 20", len(groups))
	}
	g := groups[0].(map[string]any)
	if g["@odata.type"] != "#microsoft.graph.group" || g["id"] == nil || g["displayName"] == nil {
		t.Errorf("expanded group: %v", g)
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
