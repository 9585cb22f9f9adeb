package porttest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Lock checks a domain.Lock: exclusive while held, free after release,
// ECONFLICT for the loser of a race, independent names.
func Lock(t *testing.T, newLock func(t *testing.T) domain.Lock) {
	ctx := context.Background()
	t.Run("exclusive", func(t *testing.T) {
		l := newLock(t)
		a, err := l.Acquire(ctx, "provision", 20*time.Second)
		if err != nil {
			t.Fatalf("first acquire: %v", err)
		}
		if _, err := l.Acquire(ctx, "provision", 20*time.Second); !domain.IsCode(err, domain.ECONFLICT) || !errors.Is(err, domain.ErrBusy) {
			t.Fatalf("second acquire while held: got %v, want ECONFLICT wrapping domain.ErrBusy", err)
		}
		if _, err := l.Acquire(ctx, "audit", 20*time.Second); err != nil {
			t.Fatalf("another name must be free: %v", err)
		}
		if err := a.Renew(ctx); err != nil {
			t.Fatalf("renew: %v", err)
		}
		if err := a.Release(ctx); err != nil {
			t.Fatalf("release: %v", err)
		}
		b, err := l.Acquire(ctx, "provision", 20*time.Second)
		if err != nil {
			t.Fatalf("acquire after release: %v", err)
		}
		_ = b.Release(ctx)
		if err := a.Renew(ctx); err == nil {
			t.Fatal("renewing a released lease must fail")
		}
	})
	t.Run("race", func(t *testing.T) {
		l := newLock(t)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := l.Acquire(ctx, "race", 20*time.Second)
				if err == nil {
					wins.Add(1)
				} else if !domain.IsCode(err, domain.ECONFLICT) {
					t.Errorf("loser got %v, want ECONFLICT", err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d of 20 concurrent acquires won, want exactly 1", wins.Load())
		}
	})
}
