package graphsim_test

import (
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

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
