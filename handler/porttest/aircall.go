package porttest

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// aircallEpoch is the creation time of the first user of StandardAircallUsers.
func aircallEpoch() time.Time { return time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC) }

// StandardAircallUsers returns the company the AircallDirectory suite
// checks against: emails in mixed letter case, two users created in the
// same second, and one created a year later.
func StandardAircallUsers() []domain.AircallUser {
	at := func(d time.Duration) time.Time { return aircallEpoch().Add(d) }
	return []domain.AircallUser{
		{ID: 101, Name: "Ann Smith", Email: "ann@contoso.com", CreatedAt: at(0)},
		{ID: 102, Name: "Bob", Email: "Bob.Jones@Contoso.com", CreatedAt: at(time.Hour)},
		{ID: 103, Name: "Cy", Email: "cy@contoso.com", CreatedAt: at(time.Hour)},
		{ID: 104, Name: "Dee", Email: "dee@fabrikam.com", CreatedAt: at(2 * time.Hour)},
		{ID: 105, Name: "Eve", Email: "EVE@CONTOSO.COM", CreatedAt: at(365 * 24 * time.Hour)},
	}
}

// AircallDirectory checks a domain.AircallDirectory holding exactly users
// (newDir's job; for the real adapter a simulator seeded with them):
// Ping, listing every user once with every attribute, created_at windows
// (From inclusive, Before exclusive, open ends), an error from the callback
// stopping the listing unchanged, and lookup by email in any letter case.
func AircallDirectory(t *testing.T, newDir func(t *testing.T, users []domain.AircallUser) domain.AircallDirectory) {
	ctx := context.Background()
	users := StandardAircallUsers()
	d := newDir(t, users)
	byID := map[int64]domain.AircallUser{}
	for _, u := range users {
		byID[u.ID] = u
	}

	if err := d.Ping(ctx); err != nil {
		t.Errorf("Ping = %v", err)
	}

	list := func(w domain.AircallWindow) []int64 {
		t.Helper()
		var ids []int64
		err := d.ListUsers(ctx, w, func(u *domain.AircallUser) error {
			if want, ok := byID[u.ID]; !ok || !u.CreatedAt.Equal(want.CreatedAt) || u.Name != want.Name || u.Email != want.Email {
				t.Errorf("ListUsers gave %+v, want %+v", *u, want)
			}
			ids = append(ids, u.ID)
			return nil
		})
		if err != nil {
			t.Errorf("ListUsers(%v) = %v", w, err)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		return ids
	}
	hour := aircallEpoch().Add(time.Hour)
	for _, tc := range []struct {
		name string
		w    domain.AircallWindow
		want []int64
	}{
		{"all", domain.AircallWindow{}, []int64{101, 102, 103, 104, 105}},
		{"from inclusive", domain.AircallWindow{From: hour}, []int64{102, 103, 104, 105}},
		{"before exclusive", domain.AircallWindow{Before: hour}, []int64{101}},
		{"one second", domain.AircallWindow{From: hour, Before: hour.Add(time.Second)}, []int64{102, 103}},
		{"between", domain.AircallWindow{From: aircallEpoch().Add(time.Second), Before: aircallEpoch().Add(30 * 24 * time.Hour)}, []int64{102, 103, 104}},
		{"empty", domain.AircallWindow{From: aircallEpoch().Add(-time.Hour), Before: aircallEpoch()}, nil},
	} {
		if got := list(tc.w); !equalIDs(got, tc.want) {
			t.Errorf("ListUsers(%s) ids = %v, want %v", tc.name, got, tc.want)
		}
	}

	stop := errors.New("stop here")
	calls := 0
	err := d.ListUsers(ctx, domain.AircallWindow{}, func(*domain.AircallUser) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("ListUsers with a failing callback = %v after %d calls, want the callback's error after 1", err, calls)
	}

	for _, tc := range []struct {
		email string
		want  int64
	}{
		{"ann@contoso.com", 101}, {"ANN@contoso.COM", 101}, {" bob.jones@contoso.com ", 102},
		{"Bob.Jones@Contoso.com", 102}, {"eve@contoso.com", 105}, {"dee@fabrikam.com", 104},
	} {
		u, err := d.FindUserByEmail(ctx, tc.email)
		if err != nil || u != byID[tc.want] {
			t.Errorf("FindUserByEmail(%q) = %+v, %v; want %+v", tc.email, u, err, byID[tc.want])
		}
	}
	for _, k := range []string{"nobody@contoso.com", "ann@contoso.co", "", "ann"} {
		if _, err := d.FindUserByEmail(ctx, k); !domain.IsCode(err, domain.ENOTFOUND) {
			t.Errorf("FindUserByEmail(%q) = %v, want ENOTFOUND", k, err)
		}
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
