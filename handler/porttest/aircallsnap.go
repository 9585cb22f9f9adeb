package porttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// AircallSnapshotStore checks a domain.AircallSnapshotStore: ENOTFOUND when
// none was saved, create-only with etag "", optimistic replace, ECONFLICT
// on a stale etag, and every user's id, email (letter case kept), name and
// creation time read back as saved — including names and emails a hostile
// Aircall company could hold.
func AircallSnapshotStore(t *testing.T, newStore func(t *testing.T) domain.AircallSnapshotStore) {
	ctx := context.Background()
	s := newStore(t)
	if _, _, err := s.LoadAircallUsers(ctx); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("load before any save: got %v, want ENOTFOUND", err)
	}
	at := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	snap := &domain.AircallSnapshot{TakenAt: at, FullAt: at.Add(-72 * time.Hour)}
	for i := range 3000 {
		snap.Users = append(snap.Users, domain.AircallUser{ID: int64(1_000_000 + i), Name: fmt.Sprintf("User %d", i),
			Email: fmt.Sprintf("User%d@Contoso.com", i), CreatedAt: at.Add(-time.Duration(i) * time.Minute)})
	}
	snap.Users = append(snap.Users, domain.AircallUser{ID: 1 << 53, Name: "\"</script>\u2028ÿ\x00", Email: " odd+tag@例え.jp ", CreatedAt: at})
	e1, err := s.SaveAircallUsers(ctx, snap, "")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := s.SaveAircallUsers(ctx, snap, ""); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("second create: got %v, want ECONFLICT", err)
	}
	got, etag, err := s.LoadAircallUsers(ctx)
	if err != nil || etag != e1 {
		t.Fatalf("load: etag %q (saved %q), %v", etag, e1, err)
	}
	if !got.TakenAt.Equal(snap.TakenAt) || !got.FullAt.Equal(snap.FullAt) || len(got.Users) != len(snap.Users) {
		t.Fatalf("read back takenAt %v fullAt %v, %d users; want %v %v %d", got.TakenAt, got.FullAt, len(got.Users), snap.TakenAt, snap.FullAt, len(snap.Users))
	}
	for i, u := range got.Users {
		w := snap.Users[i]
		if u.ID != w.ID || u.Email != w.Email || u.Name != w.Name || !u.CreatedAt.Equal(w.CreatedAt) {
			t.Fatalf("user %d read back as %+v, want %+v", i, u, w)
		}
	}
	snap.Users = snap.Users[:10]
	e2, err := s.SaveAircallUsers(ctx, snap, e1)
	if err != nil || e2 == e1 {
		t.Fatalf("replace with the current etag: %q, %v", e2, err)
	}
	if _, err := s.SaveAircallUsers(ctx, snap, e1); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("replace with a stale etag: got %v, want ECONFLICT", err)
	}
	if got, _, err := s.LoadAircallUsers(ctx); err != nil || len(got.Users) != 10 {
		t.Fatalf("after replace: %v users, %v", got, err)
	}
}
