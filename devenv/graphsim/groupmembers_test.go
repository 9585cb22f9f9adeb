package graphsim_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
)

var eventual = map[string]string{"ConsistencyLevel": "eventual"}

// TestMemberUsersCast: groups/{id}/members/microsoft.graph.user follows
// group-list-members: the cast (and $filter) need ConsistencyLevel:
// eventual and $count=true; only users come back (a nested group does
// not); the user's documented ge/le filter on userPrincipalName applies;
// @odata.count counts the filtered users; gt is refused as on /users.
func TestMemberUsersCast(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 4, Users: 2000, Mix: graphsim.Mix{GroupAssigned: 0.5, NestedOnly: 0.1, Groups: 1}})
	ten := srv.Tenant()
	var gid string
	members := map[string]string{} // id → lower UPN
	ten.EachTruth(func(tr graphsim.Truth) bool {
		if tr.Access == graphsim.AccessGroup {
			gid = tr.Group
			members[tr.User.ID] = strings.ToLower(tr.User.UserPrincipalName)
		}
		return true
	})
	path := "/v1.0/groups/" + gid + "/members/microsoft.graph.user"
	if r := call(t, srv, "GET", path+"?$select=id", nil, nil); r.status != 400 || r.errCode() != "Request_UnsupportedQuery" {
		t.Errorf("cast without the advanced query parameters: %d %s, want 400", r.status, r.raw)
	}
	if r := call(t, srv, "GET", path+"?$select=id&$count=true", nil, nil); r.status != 400 {
		t.Errorf("cast without ConsistencyLevel: %d, want 400", r.status)
	}
	f := url.Values{"$filter": {"userPrincipalName ge 'd' and userPrincipalName le 'm'"}, "$count": {"true"},
		"$select": {"id,userPrincipalName"}, "$top": {"999"}}
	got := map[string]bool{}
	count := -1.0
	link := path + "?" + f.Encode()
	for link != "" {
		r := call(t, srv, "GET", link, nil, eventual)
		if r.status != 200 {
			t.Fatalf("cast with a range: %d %s", r.status, r.raw)
		}
		if c, ok := r.body["@odata.count"].(float64); ok {
			count = c
		}
		for _, v := range r.values() {
			got[v["id"].(string)] = true
		}
		link = r.str("@odata.nextLink")
	}
	want := 0
	for id, upn := range members {
		in := upn >= "d" && upn <= "m"
		if in {
			want++
		}
		if got[id] != in {
			t.Fatalf("member %s (%s): listed %v, want %v", id, upn, got[id], in)
		}
	}
	if len(got) != want || int(count) != want {
		t.Errorf("listed %d, @odata.count %v, want %d users (no nested group, no one else)", len(got), count, want)
	}
	gt := url.Values{"$filter": {"userPrincipalName gt 'd'"}, "$count": {"true"}}
	if r := call(t, srv, "GET", path+"?"+gt.Encode(), nil, eventual); r.status != 400 {
		t.Errorf("gt on userPrincipalName: %d, want 400", r.status)
	}
	plain := url.Values{"$filter": {"startswith(displayName,'a')"}}
	if r := call(t, srv, "GET", "/v1.0/groups/"+gid+"/members?"+plain.Encode(), nil, nil); r.status != 400 {
		t.Errorf("$filter on members without the advanced query parameters: %d, want 400", r.status)
	}
}

// TestGroupsDelta: groups/delta with $select=members reports membership
// changes as members@delta (group-delta; delta-query-overview): latest
// gives a link for now, a round from it lists members added and removed
// (@removed), only for the filtered groups; more than 50 ids, $top, and a
// filter on anything but id are refused; an expired link answers in
// either documented form.
func TestGroupsDelta(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 8, Users: 300, Mix: graphsim.Mix{GroupAssigned: 0.5, Groups: 2}})
	ten := srv.Tenant()
	groups := map[string][]string{}
	var outsider string
	ten.EachTruth(func(tr graphsim.Truth) bool {
		if tr.Access == graphsim.AccessGroup {
			groups[tr.Group] = append(groups[tr.Group], tr.User.ID)
		} else if outsider == "" {
			outsider = tr.User.ID
		}
		return true
	})
	var g1, g2 string
	for g := range groups {
		if g1 == "" {
			g1 = g
		} else {
			g2 = g
		}
	}
	q := url.Values{"$select": {"members"}, "$filter": {"id eq '" + g1 + "'"}}
	r := call(t, srv, "GET", "/v1.0/groups/delta?"+q.Encode()+"&$deltatoken=latest", nil, nil)
	if r.status != 200 || len(r.values()) != 0 || r.str("@odata.deltaLink") == "" {
		t.Fatalf("latest: %d %s", r.status, r.raw)
	}
	link := r.str("@odata.deltaLink")
	if err := ten.AddMember(g1, outsider); err != nil {
		t.Fatal(err)
	}
	if err := ten.RemoveMember(g1, groups[g1][0]); err != nil {
		t.Fatal(err)
	}
	if err := ten.AddMember(g2, outsider); err != nil {
		t.Fatal(err)
	}
	r = call(t, srv, "GET", link, nil, nil)
	if r.status != 200 || len(r.values()) != 1 {
		t.Fatalf("round: %d %s", r.status, r.raw)
	}
	entry := r.values()[0]
	ms, _ := entry["members@delta"].([]any)
	if entry["id"] != g1 || len(ms) != 2 {
		t.Fatalf("round entry: %v", entry)
	}
	added, removed := ms[0].(map[string]any), ms[1].(map[string]any)
	if added["id"] != outsider || added["@removed"] != nil || removed["id"] != groups[g1][0] || removed["@removed"] == nil {
		t.Errorf("members@delta: %v", ms)
	}
	if r := call(t, srv, "GET", r.str("@odata.deltaLink"), nil, nil); r.status != 200 || len(r.values()) != 0 {
		t.Errorf("the next round: %d %s, want no change", r.status, r.raw)
	}
	var ors []string
	for i := 0; i < 51; i++ {
		ors = append(ors, "id eq '"+g1+"'")
	}
	for name, bad := range map[string]string{
		"51 ids":        "$select=members&$filter=" + url.QueryEscape(strings.Join(ors, " or ")),
		"$top":          "$select=members&$top=5",
		"displayName":   "$select=members&$filter=" + url.QueryEscape("displayName eq 'x'"),
		"members unset": "$select=displayName",
	} {
		if r := call(t, srv, "GET", "/v1.0/groups/delta?"+bad, nil, nil); r.status != 400 {
			t.Errorf("%s: %d, want 400", name, r.status)
		}
	}
	ten.ExpireDeltaTokens()
	if r := call(t, srv, "GET", link, nil, nil); r.status != 410 || r.header.Get("Location") == "" {
		t.Errorf("expired link: %d (Location %q), want 410 with a Location", r.status, r.header.Get("Location"))
	}
	ten.SetDeltaExpiry(graphsim.DeltaSyncStateNotFound)
	r = call(t, srv, "GET", link, nil, nil)
	inner, _ := r.body["error"].(map[string]any)["innerError"].(map[string]any)
	if r.status != 400 || inner["code"] != "syncStateNotFound" {
		t.Errorf("expired link, 40X form: %d %s", r.status, r.raw)
	}
}

// TestIDInLimits: "id in (…)" takes at most 15 values in a default query
// and up to a 2,048-character URL in an advanced one
// (learn.microsoft.com/graph/known-issues), and is answered by id.
func TestIDInLimits(t *testing.T) {
	srv := graphsim.Start(t, graphsim.Options{Seed: 3, Users: 500})
	var ids []string
	for i := 0; i < 16; i++ {
		ids = append(ids, "'"+srv.Tenant().Truth(i*7).User.ID+"'")
	}
	q := url.Values{"$filter": {"id in (" + strings.Join(ids, ",") + ")"}, "$select": {"id"}}
	if r := call(t, srv, "GET", "/v1.0/users?"+q.Encode(), nil, nil); r.status != 400 {
		t.Errorf("16 values in a default query: %d, want 400", r.status)
	}
	q.Set("$count", "true")
	r := call(t, srv, "GET", "/v1.0/users?"+q.Encode(), nil, eventual)
	if r.status != 200 || len(r.values()) != 16 {
		t.Fatalf("16 values in an advanced query: %d, %d users", r.status, len(r.values()))
	}
	for len(ids) < 60 {
		ids = append(ids, ids...)
	}
	q.Set("$filter", "id in ("+strings.Join(ids, ",")+")")
	if r := call(t, srv, "GET", "/v1.0/users?"+q.Encode(), nil, eventual); r.status != 400 {
		t.Errorf("a URL over 2,048 characters: %d, want 400", r.status)
	}
}
