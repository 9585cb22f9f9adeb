package graphrest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
)

func client(t testing.TB, sim *graphsim.Server, page int) *graphrest.Client {
	t.Helper()
	c, err := graphrest.New(graphrest.Options{BaseURL: sim.URL(), Credential: sim.Credential(), PageSize: page,
		Pin: sim.Tenant().FirstAppPin, Owner: graphsim.Caller,
		ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 5, RetryDelay: 5 * time.Millisecond,
			StatusCodes: []int{429, 503}}}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readRange returns the lower-case UPNs of the users in r, every page.
func readRange(t *testing.T, c *graphrest.Client, r domain.UserRange) []string {
	t.Helper()
	var out []string
	link := ""
	for {
		info, err := c.ListUsers(context.Background(), r, link, func(u *domain.User) error {
			out = append(out, strings.ToLower(u.UserPrincipalName))
			return nil
		})
		if err != nil {
			t.Fatalf("range %+v: %v", r, err)
		}
		if info.Next == "" {
			return out
		}
		link = info.Next
	}
}

func TestRangesCoverEveryUserOnce(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 3, Users: 1500, Mix: graphsim.Mix{Guests: 0.1}})
	// Users whose UPN is exactly a bound, or sorts around the bounds.
	for _, upn := range []string{"m", "m@contoso.com", "ma@contoso.com", "0zero@contoso.com", "~tilde@contoso.com", "Émile@contoso.com"} {
		sim.Tenant().AddUser(graphsim.User{UserPrincipalName: upn, Mail: upn, AccountEnabled: true})
	}
	var all []string
	sim.Tenant().EachUser(func(u graphsim.User) bool { all = append(all, strings.ToLower(u.UserPrincipalName)); return true })
	sort.Strings(all)
	c := client(t, sim, 100)
	for _, bounds := range [][]string{
		nil,
		{"m"},
		{"m@contoso.com"},
		{"b", "d", "m", "m@contoso.com", "t"},
		{"-", "0", "a", "aa", "ab", "z"},
	} {
		var got []string
		after := ""
		for _, b := range append(bounds, "") {
			got = append(got, readRange(t, c, domain.UserRange{After: after, Upto: b})...)
			after = b
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(all, ",") {
			t.Errorf("bounds %q: read %d users, the tenant has %d (each exactly once)", bounds, len(got), len(all))
		}
	}
	n, err := c.CountUsers(context.Background(), domain.UserRange{After: "b", Upto: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(readRange(t, c, domain.UserRange{After: "b", Upto: "m"})); n != int64(want) {
		t.Errorf("count (b, m] = %d, want %d", n, want)
	}
}

func TestUserFields(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 4, Users: 0, Mix: graphsim.Mix{}})
	tn := sim.Tenant()
	a := tn.AddUser(graphsim.User{UserPrincipalName: "ann@contoso.com", Mail: "Ann.Other@contoso.fr", DisplayName: `Ann "Quoted"`, AccountEnabled: false})
	tn.AddUser(graphsim.User{UserPrincipalName: "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com", Mail: "bob@fabrikam.com", UserType: "Guest", AccountEnabled: true})
	tn.AddUser(graphsim.User{UserPrincipalName: "cy@contoso.com", AccountEnabled: true})
	c := client(t, sim, 999)
	var got []domain.User
	if _, err := c.ListUsers(context.Background(), domain.UserRange{}, "", func(u *domain.User) error { got = append(got, *u); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []domain.User{
		{ID: a.ID, UserPrincipalName: "ann@contoso.com", Mail: "Ann.Other@contoso.fr", DisplayName: `Ann "Quoted"`, AccountEnabled: false, UserType: "Member"},
		{UserPrincipalName: "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com", Mail: "bob@fabrikam.com", DisplayName: "bob_fabrikam.com#EXT#", AccountEnabled: true, UserType: "Guest"},
		{UserPrincipalName: "cy@contoso.com", DisplayName: "cy", AccountEnabled: true, UserType: "Member"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d users, want %d", len(got), len(want))
	}
	for i := range want {
		g := got[i]
		if i > 0 {
			g.ID = "" // generated
		}
		if g != want[i] {
			t.Errorf("user %d:\n got %+v\nwant %+v", i, g, want[i])
		}
	}
}

func TestDeltaAndExpiry(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 5, Users: 700, Mix: graphsim.Mix{}})
	c := client(t, sim, 999)
	ctx := context.Background()
	round := func(link string) (int, int, string) {
		n, removed := 0, 0
		for {
			info, err := c.UsersDelta(ctx, link, func(u *domain.User) error {
				n++
				if u.Removed {
					removed++
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if info.DeltaLink != "" {
				return n, removed, info.DeltaLink
			}
			link = info.Next
		}
	}
	n, _, dl := round("")
	if n != 700 {
		t.Fatalf("initial round listed %d users, want 700", n)
	}
	var ids []string
	sim.Tenant().EachUser(func(u graphsim.User) bool { ids = append(ids, u.ID); return len(ids) < 2 })
	if err := sim.Tenant().UpdateUser(ids[0], func(u *graphsim.User) { u.Mail = "x@contoso.fr" }); err != nil {
		t.Fatal(err)
	}
	if err := sim.Tenant().DeleteUser(ids[1]); err != nil {
		t.Fatal(err)
	}
	n, removed, _ := round(dl)
	if n != 2 || removed != 1 {
		t.Errorf("change round: %d items, %d removed; want 2 and 1", n, removed)
	}
	latest, err := c.LatestDeltaLink(ctx)
	if err != nil || latest == "" {
		t.Fatalf("latest delta link: %q %v", latest, err)
	}
	if n, _, _ := round(latest); n != 0 {
		t.Errorf("a round from the latest link listed %d users, want 0", n)
	}
	sim.Tenant().ExpireDeltaTokens()
	for _, form := range []graphsim.DeltaExpiry{graphsim.DeltaGone, graphsim.DeltaSyncStateNotFound} {
		sim.Tenant().SetDeltaExpiry(form)
		_, err = c.UsersDelta(ctx, latest, func(*domain.User) error { return nil })
		if !errors.Is(err, domain.ErrDeltaExpired) {
			t.Errorf("expired link answered as %s: %v, want ErrDeltaExpired", form, err)
		}
	}
}

func TestAssignmentsAndMembers(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 6, Users: 400, Mix: graphsim.Mix{DirectAssigned: 0.2, GroupAssigned: 0.3, NestedOnly: 0.1, Groups: 1}})
	c := client(t, sim, 50)
	ctx := context.Background()
	sp, err := c.AppServicePrincipal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	users, groups := 0, []string{}
	link := ""
	for {
		info, err := c.AppAssignments(ctx, sp, link, func(a domain.AppAssignment) error {
			switch a.PrincipalType {
			case "User":
				users++
			case "Group":
				groups = append(groups, a.PrincipalID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if link = info.Next; link == "" {
			break
		}
	}
	wantDirect, wantGroup := 0, 0
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		switch tr.Access {
		case graphsim.AccessDirect:
			wantDirect++
		case graphsim.AccessGroup:
			wantGroup++
		}
		return true
	})
	if users != wantDirect || len(groups) != 1 {
		t.Fatalf("assignments: %d users and %d groups, want %d and 1", users, len(groups), wantDirect)
	}
	kinds := map[string]int{}
	link = ""
	for {
		info, err := c.GroupMembers(ctx, groups[0], link, func(m domain.DirectoryMember) error { kinds[m.Type]++; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if link = info.Next; link == "" {
			break
		}
	}
	if kinds["user"] != wantGroup || kinds["group"] != 1 {
		t.Errorf("members by type %v, want %d users and the nested group", kinds, wantGroup)
	}
}

func TestErrorsAreMapped(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		code   domain.Code
	}{
		{"forbidden", 403, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges"}}`, domain.EFORBIDDEN},
		{"not found", 404, `{"error":{"code":"Request_ResourceNotFound","message":"x"}}`, domain.ENOTFOUND},
		{"bad request", 400, `{"error":{"code":"Request_UnsupportedQuery","message":"x"}}`, domain.EUPSTREAM},
		{"not a page", 200, `{"value":{"id":1}}`, domain.EUPSTREAM},
		{"truncated page", 200, `{"value":[{"id":"a"},`, domain.EUPSTREAM},
		{"still throttled", 429, `{"error":{"code":"TooManyRequests"}}`, domain.EUNAVAILABLE},
		{"unavailable", 503, `{"error":{"code":"serviceNotAvailable"}}`, domain.EUNAVAILABLE},
		{"server error", 500, `{"error":{"code":"generalException"}}`, domain.EUPSTREAM},
		{"bad gateway", 502, ``, domain.EUPSTREAM},
		{"token refused", 401, `{"error":{"code":"InvalidAuthenticationToken"}}`, domain.EFORBIDDEN},
		{"delta expired", 410, `{"error":{"code":"syncStateNotFound"}}`, domain.EUPSTREAM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			sim := graphsim.Start(t, graphsim.Options{Seed: 1, Users: 0, Mix: graphsim.Mix{}})
			c, err := graphrest.New(graphrest.Options{BaseURL: srv.URL, Credential: sim.Credential(),
				ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond, StatusCodes: []int{429}}}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ListUsers(context.Background(), domain.UserRange{}, "", func(*domain.User) error { return nil })
			if !domain.IsCode(err, tc.code) {
				t.Errorf("got %v (%s), want %s", err, domain.ErrorCode(err), tc.code)
			}
		})
	}
}

func TestThrottleHookAndRetryAfter(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 7, Users: 300, Mix: graphsim.Mix{}})
	var seen []int
	c, err := graphrest.New(graphrest.Options{BaseURL: sim.URL(), Credential: sim.Credential(),
		OnThrottle: func(status int, ra time.Duration) {
			seen = append(seen, status)
			if ra != time.Second {
				t.Errorf("Retry-After %s, want 1s", ra)
			}
		},
		ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond, StatusCodes: []int{429, 503}}}})
	if err != nil {
		t.Fatal(err)
	}
	sim.Tenant().FailNext(1, 429, nil)
	sim.Tenant().FailNext(1, 0, nil) // a reset
	start := time.Now()
	n := 0
	if _, err := c.ListUsers(context.Background(), domain.UserRange{}, "", func(*domain.User) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != 429 || time.Since(start) < 900*time.Millisecond || n != 300 {
		t.Errorf("throttle hook saw %v in %s, %d users; want one 429 honoured for 1 s", seen, time.Since(start), n)
	}
}

func TestCallbackErrorStopsThePage(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 8, Users: 300, Mix: graphsim.Mix{}})
	c := client(t, sim, 999)
	stop := errors.New("stop here")
	n := 0
	_, err := c.ListUsers(context.Background(), domain.UserRange{}, "", func(*domain.User) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Errorf("got %v after %d users, want the callback's error after 10", err, n)
	}
}

func TestRefusesLinksOffTheBase(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 9, Users: 10, Mix: graphsim.Mix{}})
	c := client(t, sim, 999)
	_, err := c.ListUsers(context.Background(), domain.UserRange{}, "https://evil.example/v1.0/users", func(*domain.User) error { return nil })
	if !domain.IsCode(err, domain.EUPSTREAM) || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("got %v, want a refusal", err)
	}
}

func TestBodyBrokenMidwayIsReadAgainWithoutRepeats(t *testing.T) {
	var page strings.Builder
	page.WriteString(`{"value":[`)
	for i := 0; i < 500; i++ {
		if i > 0 {
			page.WriteString(",")
		}
		page.WriteString(`{"id":"` + strings.Repeat("0", 8) + "-" + string(rune('a'+i%26)) + `","userPrincipalName":"u` + strings.Repeat("x", i%7) + `@c.com"}`)
	}
	page.WriteString(`]}`)
	body := page.String()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/json")
		if calls == 1 {
			// Promise the whole page, send half, then drop the connection.
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write([]byte(body[:len(body)/2]))
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	sim := graphsim.Start(t, graphsim.Options{Seed: 1, Users: 0, Mix: graphsim.Mix{}})
	c, err := graphrest.New(graphrest.Options{BaseURL: srv.URL, Credential: sim.Credential()})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	info, err := c.ListUsers(context.Background(), domain.UserRange{}, "", func(*domain.User) error { n++; return nil })
	if err != nil || n != 500 || info.Items != 500 || calls != 2 {
		t.Errorf("got %d users (items %d) in %d requests, %v; want each of 500 once, in 2 requests", n, info.Items, calls, err)
	}
}
