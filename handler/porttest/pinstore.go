package porttest

import (
	"context"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// PinStore checks a domain.PinStore: nothing pinned is ENOTFOUND, a create
// when a pin exists and a replace with a stale ETag are ECONFLICT, and what
// is saved is what is loaded. newStore must return an empty store.
func PinStore(t *testing.T, newStore func(t *testing.T) domain.PinStore) {
	ctx := context.Background()
	s := newStore(t)
	if _, _, err := s.LoadPin(ctx); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("load from an empty store: got %v, want ENOTFOUND", err)
	}
	pin := domain.PinnedApp{AppID: "0c2b7a8e-1f3d-4c5b-9a6e-7d8f9a0b1c2d", ObjectID: "o1", ServicePrincipalID: "sp1",
		Origin: domain.PinCreated, PinnedAt: time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)}
	etag, err := s.SavePin(ctx, pin, "")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := s.SavePin(ctx, pin, ""); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("second create: got %v, want ECONFLICT", err)
	}
	got, etag2, err := s.LoadPin(ctx)
	if err != nil || got != pin || etag2 != etag {
		t.Fatalf("load: %+v %q, %v; want %+v %q", got, etag2, err, pin, etag)
	}
	pin.ClaimsPolicyID = "p1"
	next, err := s.SavePin(ctx, pin, etag)
	if err != nil || next == etag {
		t.Fatalf("replace: %q, %v", next, err)
	}
	if _, err := s.SavePin(ctx, pin, etag); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("replace with a stale ETag: got %v, want ECONFLICT", err)
	}
	if got, _, _ := s.LoadPin(ctx); got.ClaimsPolicyID != "p1" {
		t.Fatalf("after replace: %+v", got)
	}
}
