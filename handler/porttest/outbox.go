package porttest

import (
	"context"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Outbox checks a domain.EventOutbox, given empty: nothing pending at
// first; each Put of events is one entry and a Put of none is no entry;
// entries list oldest first and load intact; Remove deletes one, removing
// it again succeeds, and loading it then is ENOTFOUND.
func Outbox(t *testing.T, newOutbox func(t *testing.T) domain.EventOutbox) {
	ctx := context.Background()
	o := newOutbox(t)
	if keys, err := o.Pending(ctx); err != nil || len(keys) != 0 {
		t.Fatalf("pending of an empty outbox: %v %v, want none", keys, err)
	}
	es := testEvents(t, 9000, 6)
	groups := [][]domain.Event{es[:2], es[2:3], es[3:]}
	for _, g := range groups {
		if err := o.Put(ctx, g); err != nil {
			t.Fatalf("put: %v", err)
		}
	}
	if err := o.Put(ctx, nil); err != nil {
		t.Fatalf("put of nothing: %v", err)
	}
	keys, err := o.Pending(ctx)
	if err != nil || len(keys) != len(groups) {
		t.Fatalf("pending: %v %v, want %d entries", keys, err, len(groups))
	}
	for i, k := range keys { // oldest first
		got, err := o.Load(ctx, k)
		if err != nil {
			t.Fatalf("load entry %d (%s): %v", i, k, err)
		}
		assertInOrder(t, got, groups[i])
	}
	if err := o.Remove(ctx, keys[0]); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if err := o.Remove(ctx, keys[0]); err != nil {
		t.Fatalf("removing an entry already gone: %v", err)
	}
	if _, err := o.Load(ctx, keys[0]); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("load of a removed entry: %v, want ENOTFOUND", err)
	}
	if left, err := o.Pending(ctx); err != nil || len(left) != 2 || left[0] != keys[1] || left[1] != keys[2] {
		t.Fatalf("pending after remove: %v %v, want %v", left, err, keys[1:])
	}
}
