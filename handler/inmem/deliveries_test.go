package inmem_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/porttest"
)

func TestDeliveriesConformance(t *testing.T) {
	porttest.DeliveryLog(t, func(*testing.T) domain.DeliveryLog { return inmem.NewDeliveries(0) })
}

// TestDeliveriesBounded: a full log drops the record seen longest ago.
func TestDeliveriesBounded(t *testing.T) {
	l := inmem.NewDeliveries(3)
	at := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	key := func(i int) string { return fmt.Sprintf("%064x", i) }
	for i := range 5 {
		if _, _, ok, err := l.Claim(context.Background(), key(i), domain.Delivery{At: at.Add(time.Duration(i) * time.Minute)}); !ok || err != nil {
			t.Fatalf("claim %d: %v %v", i, ok, err)
		}
	}
	if l.Len() != 3 {
		t.Fatalf("%d records, want 3", l.Len())
	}
	if _, _, ok, _ := l.Claim(context.Background(), key(4), domain.Delivery{At: at}); ok {
		t.Fatalf("the newest record was dropped")
	}
}
