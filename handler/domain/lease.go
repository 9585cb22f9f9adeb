package domain

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// leaseCallTimeout bounds one renewal or the release.
const leaseCallTimeout = 10 * time.Second

// ErrLeaseLost is in the cause of a context KeepLease cancelled because a
// renewal failed.
var ErrLeaseLost = errors.New("the lock's lease could not be renewed")

// LeaseLost returns the cause of ctx when KeepLease cancelled it because a
// renewal failed (an ECONFLICT error), nil otherwise.
func LeaseLost(ctx context.Context) error {
	if cause := context.Cause(ctx); errors.Is(cause, ErrLeaseLost) {
		return cause
	}
	return nil
}

// HoldLease takes the lock name for ttl and keeps it while the work runs
// (KeepLease). Acquire's error is returned as is: ECONFLICT while another
// holder has it.
func HoldLease(ctx context.Context, lock Lock, name string, ttl time.Duration) (context.Context, func() error, error) {
	lease, err := lock.Acquire(ctx, name, ttl)
	if err != nil {
		return nil, nil, err
	}
	held, release := KeepLease(ctx, lease, ttl)
	return held, release, nil
}

// KeepLease renews a held lease every ttl/3 until release is called, then
// gives it up. The returned context is ctx, cancelled when a renewal fails
// (LeaseLost returns the cause: an ECONFLICT error naming the failure): the
// work must stop before its next write, since another holder may take the
// lock once the lease runs out. release stops renewing, cancels the context
// and releases the lease; its error needs no handling beyond a log line
// (an unreleased lease expires by itself).
func KeepLease(ctx context.Context, lease Lease, ttl time.Duration) (context.Context, func() error) {
	held, cancel := context.WithCancelCause(ctx)
	every := max(ttl/3, time.Millisecond)
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), leaseCallTimeout)
			err := lease.Renew(rctx)
			rcancel()
			if err != nil {
				cancel(Wrap(ECONFLICT, fmt.Errorf("%w: %w", ErrLeaseLost, err), "the lock could not be renewed, so another run may take it: this run stopped"))
				return
			}
		}
	}()
	return held, func() error {
		close(stop)
		<-stopped
		cancel(nil)
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), leaseCallTimeout)
		defer rcancel()
		return lease.Release(rctx)
	}
}
