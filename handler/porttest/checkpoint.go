package porttest

import (
	"context"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// CheckpointStore checks a domain.CheckpointStore: ENOTFOUND when absent,
// create-only with etag "", optimistic replace, ECONFLICT on a stale etag,
// idempotent delete.
func CheckpointStore(t *testing.T, newStore func(t *testing.T) domain.CheckpointStore) {
	ctx := context.Background()
	s := newStore(t)
	if _, _, err := s.Load(ctx, "audit/x"); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("load of absent key: got %v, want ENOTFOUND", err)
	}
	e1, err := s.Save(ctx, "audit/x", []byte(`{"page":1}`), "")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := s.Save(ctx, "audit/x", []byte(`{"page":9}`), ""); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("second create: got %v, want ECONFLICT", err)
	}
	e2, err := s.Save(ctx, "audit/x", []byte(`{"page":2}`), e1)
	if err != nil {
		t.Fatalf("replace with current etag: %v", err)
	}
	if e2 == e1 {
		t.Fatalf("etag did not change on replace: %q", e2)
	}
	if _, err := s.Save(ctx, "audit/x", []byte(`{"page":3}`), e1); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("replace with stale etag: got %v, want ECONFLICT", err)
	}
	data, etag, err := s.Load(ctx, "audit/x")
	if err != nil || string(data) != `{"page":2}` || etag != e2 {
		t.Fatalf("load = %q %q %v, want {\"page\":2} %q", data, etag, err, e2)
	}
	if err := s.Delete(ctx, "audit/x"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := s.Delete(ctx, "audit/x"); err != nil {
		t.Fatalf("second delete must succeed: %v", err)
	}
	if _, _, err := s.Load(ctx, "audit/x"); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("load after delete: got %v, want ENOTFOUND", err)
	}
}
