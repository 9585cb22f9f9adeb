package blob_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	o := newStore(t).Outbox()
	if keys, err := o.Pending(ctx); err != nil || len(keys) != 0 {
		t.Fatalf("pending before the container exists: %v %v, want none", keys, err)
	}
	ev := func(i int) domain.Event {
		return domain.Event{SpecVersion: "1.0", ID: fmt.Sprintf("id-%d", i), Type: "t", Data: []byte(`{"n":1}`)}
	}
	groups := [][]domain.Event{{ev(1), ev(2)}, {ev(3)}, {ev(4), ev(5), ev(6)}}
	for _, g := range groups {
		if err := o.Put(ctx, g); err != nil {
			t.Fatalf("put: %v", err)
		}
	}
	if err := o.Put(ctx, nil); err != nil {
		t.Fatalf("put of nothing: %v", err)
	}
	keys, err := o.Pending(ctx)
	if err != nil || len(keys) != 3 {
		t.Fatalf("pending: %v %v, want 3 entries", keys, err)
	}
	for i, k := range keys { // oldest first
		got, err := o.Load(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(groups[i]) || got[0].ID != groups[i][0].ID || string(got[0].Data) != `{"n":1}` {
			t.Fatalf("entry %d (%s): got %+v, want %+v", i, k, got, groups[i])
		}
	}
	if err := o.Remove(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	if err := o.Remove(ctx, keys[0]); err != nil {
		t.Fatalf("removing an entry already gone: %v", err)
	}
	if _, err := o.Load(ctx, keys[0]); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Fatalf("load of a removed entry: %v, want ENOTFOUND", err)
	}
	if keys, _ := o.Pending(ctx); len(keys) != 2 {
		t.Fatalf("pending after remove: %v", keys)
	}
	for _, bad := range []string{"", "../x", "a/b"} {
		if _, err := o.Load(ctx, bad); !domain.IsCode(err, domain.EINVALID) {
			t.Errorf("key %q: %v, want EINVALID", bad, err)
		}
	}
}
