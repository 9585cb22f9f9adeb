package provision

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// lock takes the provision lock, waiting up to LockWait for another run,
// and holds it (domain.KeepLease) until the returned release is called. The
// returned context is cancelled when a renewal fails: apply stops before its
// next write.
func (j *Job) lock(ctx context.Context) (context.Context, func(), error) {
	if j.Lock == nil {
		return nil, nil, domain.Errorf(domain.EINTERNAL, "provision has no lock wired: refusing to apply without one")
	}
	ttl, wait := j.LockTTL, j.LockWait
	if ttl <= 0 {
		ttl = 60 * time.Second
	}
	if wait <= 0 {
		wait = 30 * time.Second
	}
	deadline := time.Now().Add(wait)
	delay := 50 * time.Millisecond
	var lease domain.Lease
	for {
		l, err := j.Lock.Acquire(ctx, LockName, ttl)
		if err == nil {
			lease = l
			break
		}
		if !domain.IsCode(err, domain.ECONFLICT) {
			return nil, nil, wrap(err, "take the provision lock")
		}
		if time.Now().Add(delay).After(deadline) {
			return nil, nil, domain.Wrap(domain.ECONFLICT, err, "another provision run is in progress and did not finish within %s; try again in a minute", wait)
		}
		select {
		case <-ctx.Done():
			return nil, nil, domain.Wrap(domain.EUNAVAILABLE, ctx.Err(), "cancelled while waiting for another provision run")
		case <-time.After(delay + time.Duration(rand.Int64N(int64(delay)))):
		}
		if delay < time.Second {
			delay *= 2
		}
	}
	held, release := domain.KeepLease(ctx, lease, ttl)
	return held, func() {
		if err := release(); err != nil {
			j.log().Warn("could not release the provision lock (it expires by itself)", "error", err.Error())
		}
		if lost := domain.LeaseLost(held); lost != nil {
			j.log().Warn("could not renew the provision lock", "error", lost.Error())
		}
	}, nil
}
