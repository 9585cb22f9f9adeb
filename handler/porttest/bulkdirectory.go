package porttest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// BulkDirectoryHarness is one bulk directory under test, holding a
// DirectorySeed and paging by at most 2 items, so that every listing of
// the standard seed takes several pages.
type BulkDirectoryHarness struct {
	Dir domain.BulkDirectory
	// GroupID maps a seed group id to the directory's id for that group (a
	// simulator assigns its own); nil means the same id.
	GroupID func(seedID string) string
	// ExpireDeltaLinks makes every delta link issued so far expire.
	ExpireDeltaLinks func()
}

// BulkDirectory checks a domain.BulkDirectory holding StandardDirectorySeed:
// a listing pages through every user once with every attribute; ranges
// split the users by lower-cased UPN, each exactly once, and count them
// (give or take the user at the lower bound); a
// delta round from nothing lists everyone and ends in a delta link that
// then reports no change, as does the latest delta link; an expired link
// is ErrDeltaExpired; the app's assignments and a group's direct members
// (nested groups typed "group") page through.
func BulkDirectory(t *testing.T, newHarness func(t *testing.T, seed DirectorySeed) BulkDirectoryHarness) {
	ctx := context.Background()
	seed := StandardDirectorySeed()
	h := newHarness(t, seed)
	if h.GroupID == nil {
		h.GroupID = func(id string) string { return id }
	}
	d := h.Dir
	all, pages := listUsers(t, d, domain.UserRange{})
	if pages < 2 {
		t.Errorf("the %d users came in %d page(s): the harness must page by at most 2", len(all), pages)
	}
	assertSameUsers(t, "all users", all, seed.Users)

	cut := "cy@contoso.com"
	var users []domain.User
	for _, r := range []domain.UserRange{{Upto: cut}, {After: cut}} {
		got, _ := listUsers(t, d, r)
		for _, u := range got {
			if !r.Contains(strings.ToLower(u.UserPrincipalName)) {
				t.Errorf("range %+v listed %s", r, u.UserPrincipalName)
			}
		}
		// A count is for planning: Graph's filter takes the lower bound
		// inclusively, so the user at r.After may count too.
		if n, err := d.CountUsers(ctx, r); err != nil || (n != -1 && (n < int64(len(got)) || n > int64(len(got))+1)) {
			t.Errorf("CountUsers(%+v) = %d, %v; want %d or %d (or -1)", r, n, err, len(got), len(got)+1)
		}
		users = append(users, got...)
	}
	assertSameUsers(t, "users of both ranges", users, seed.Users)

	round, link := deltaRound(t, d, "")
	assertSameUsers(t, "a delta round from nothing", round, seed.Users)
	if again, _ := deltaRound(t, d, link); len(again) != 0 {
		t.Errorf("the next delta round reported %d users, nothing changed", len(again))
	}
	latest, err := d.LatestDeltaLink(ctx)
	if err != nil || latest == "" {
		t.Fatalf("LatestDeltaLink = %q, %v", latest, err)
	}
	if changed, _ := deltaRound(t, d, latest); len(changed) != 0 {
		t.Errorf("a round from the latest link reported %d users, nothing changed", len(changed))
	}
	if h.ExpireDeltaLinks != nil {
		h.ExpireDeltaLinks()
		if _, err := d.UsersDelta(ctx, link, func(*domain.User) error { return nil }); !errors.Is(err, domain.ErrDeltaExpired) {
			t.Errorf("an expired delta link: %v, want ErrDeltaExpired", err)
		}
	}
	bulkAssignments(t, h, seed)
}

// bulkAssignments checks the app's assignments and a group's members.
func bulkAssignments(t *testing.T, h BulkDirectoryHarness, seed DirectorySeed) {
	ctx := context.Background()
	sp, err := h.Dir.AppServicePrincipal(ctx)
	if err != nil || sp == "" {
		t.Fatalf("AppServicePrincipal = %q, %v", sp, err)
	}
	var got, want []string
	pageAll(t, "assignments", func(link string) (domain.PageInfo, error) {
		return h.Dir.AppAssignments(ctx, sp, link, func(a domain.AppAssignment) error {
			got = append(got, strings.ToLower(a.PrincipalType)+" "+a.PrincipalID)
			return nil
		})
	})
	for _, id := range seed.AssignedUsers {
		want = append(want, "user "+id)
	}
	for _, id := range seed.AssignedGroups {
		want = append(want, "group "+h.GroupID(id))
	}
	assertSameStrings(t, "assignments", got, want)

	const assigned, nested = "00000000-0000-0000-0000-0000000000f1", "00000000-0000-0000-0000-0000000000f2"
	got, want = nil, nil
	pageAll(t, "members", func(link string) (domain.PageInfo, error) {
		return h.Dir.GroupMembers(ctx, h.GroupID(assigned), link, func(m domain.DirectoryMember) error {
			got = append(got, strings.ToLower(m.Type)+" "+m.ID)
			return nil
		})
	})
	for _, m := range seed.Groups[assigned].Members {
		if m == nested {
			want = append(want, "group "+h.GroupID(m))
		} else {
			want = append(want, "user "+m)
		}
	}
	assertSameStrings(t, "members of "+seed.Groups[assigned].Name, got, want)
}

// listUsers pages through the users of r.
func listUsers(t *testing.T, d domain.BulkDirectory, r domain.UserRange) (users []domain.User, pages int) {
	t.Helper()
	pages = pageAll(t, "users", func(link string) (domain.PageInfo, error) {
		return d.ListUsers(context.Background(), r, link, func(u *domain.User) error {
			users = append(users, *u)
			return nil
		})
	})
	return users, pages
}

// deltaRound pages through one delta round and returns its users and the
// delta link it ends with.
func deltaRound(t *testing.T, d domain.BulkDirectory, link string) (users []domain.User, deltaLink string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		info, err := d.UsersDelta(context.Background(), link, func(u *domain.User) error {
			users = append(users, *u)
			return nil
		})
		if err != nil {
			t.Fatalf("users delta: %v", err)
		}
		if info.DeltaLink != "" {
			return users, info.DeltaLink
		}
		if info.Next == "" {
			t.Fatal("a delta page had neither a next link nor a delta link")
		}
		link = info.Next
	}
	t.Fatal("a delta round of the standard seed took 100 pages")
	return nil, ""
}

// pageAll calls read with each next link until the last page and returns
// the number of pages.
func pageAll(t *testing.T, what string, read func(link string) (domain.PageInfo, error)) int {
	t.Helper()
	link := ""
	for pages := 1; pages <= 100; pages++ {
		info, err := read(link)
		if err != nil {
			t.Fatalf("%s, page %d: %v", what, pages, err)
		}
		if info.Next == "" {
			return pages
		}
		link = info.Next
	}
	t.Fatalf("%s of the standard seed took 100 pages", what)
	return 0
}

func assertSameUsers(t *testing.T, what string, got, want []domain.User) {
	t.Helper()
	byID := func(a, b domain.User) int { return strings.Compare(a.ID, b.ID) }
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, byID)
	slices.SortFunc(want, byID)
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func assertSameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Clone(got), slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}
