package blob_test

import (
	"context"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

// TestOutboxConformance runs the outbox suite on a container that does not
// exist yet (nothing pending, the first Put creates it).
func TestOutboxConformance(t *testing.T) {
	porttest.Outbox(t, func(t *testing.T) domain.EventOutbox { return newStore(t).Outbox() })
}

func TestOutboxRefusesKeysOutsideIt(t *testing.T) {
	o := newStore(t).Outbox()
	for _, bad := range []string{"", "../x", "a/b"} {
		if _, err := o.Load(context.Background(), bad); !domain.IsCode(err, domain.EINVALID) {
			t.Errorf("key %q: %v, want EINVALID", bad, err)
		}
	}
}
