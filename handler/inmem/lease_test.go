package inmem_test

import (
	"context"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

// TestHoldLeaseRenewsAndReleases: the lease is renewed while held (it
// outlives its first term) and free after release.
func TestHoldLeaseRenewsAndReleases(t *testing.T) {
	lock := inmem.NewLock()
	ctx, release, err := domain.HoldLease(context.Background(), lock, "audit/lock", 30*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // a few renewals
	if ctx.Err() != nil {
		t.Fatalf("the work's context was cancelled while the lease renewed: %v", context.Cause(ctx))
	}
	if _, _, err := domain.HoldLease(context.Background(), lock, "audit/lock", time.Minute); !domain.IsCode(err, domain.ECONFLICT) {
		t.Fatalf("second holder: got %v, want ECONFLICT", err)
	}
	if err := release(); err != nil {
		t.Fatalf("release: %v", err)
	}
	if ctx.Err() == nil || domain.LeaseLost(ctx) != nil {
		t.Fatalf("after release: context %v, lease lost %v; want cancelled, not lost", ctx.Err(), domain.LeaseLost(ctx))
	}
	_, again, err := domain.HoldLease(context.Background(), lock, "audit/lock", time.Minute)
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	_ = again()
}

// TestFailedRenewalCancelsTheWork: when a renewal fails (the lease expired
// and another holder took the lock), the work's context is cancelled with
// an ECONFLICT cause, so the work stops before its next write.
func TestFailedRenewalCancelsTheWork(t *testing.T) {
	lock := inmem.NewLock()
	ctx, release, err := domain.HoldLease(context.Background(), lock, "provision", 30*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	lock.Break("provision")
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the work's context was not cancelled after a failed renewal")
	}
	lost := domain.LeaseLost(ctx)
	if !domain.IsCode(lost, domain.ECONFLICT) {
		t.Fatalf("cause %v, want an ECONFLICT lease-lost error", context.Cause(ctx))
	}
}
