// Package swr keeps one value that is slow to get (an app-wide fact read
// from Graph) for many requests to share, stale-while-revalidate: a fresh
// value is returned as it is; a stale one is returned too while a single
// background refresh replaces it, so no request waits on a refresh; only a
// caller with nothing usable loads synchronously, and concurrent such
// callers share that one load. It knows nothing about what it holds.
package swr

import (
	"context"
	"sync"
	"time"
)

// DefaultRefreshTimeout bounds a background refresh.
const DefaultRefreshTimeout = 30 * time.Second

// Value is one shared value. Set Load, TTL and MaxAge before first use; the
// zero Value is not usable. A Value is safe for concurrent use.
type Value[T any] struct {
	// Load gets a new value; its errors are returned to callers that had
	// nothing usable, and are never cached.
	Load func(ctx context.Context) (T, error)
	// TTL is how long a value is fresh.
	TTL time.Duration
	// MaxAge is how long a stale value may still be served while it is
	// refreshed (a refresh that keeps failing leaves it until then).
	MaxAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu         sync.Mutex
	val        T
	at         time.Time // zero: nothing loaded yet
	loading    chan struct{}
	loadErr    error
	refreshing bool
}

func (v *Value[T]) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Get returns the value, loading or refreshing it as described above.
func (v *Value[T]) Get(ctx context.Context) (T, error) {
	v.mu.Lock()
	if !v.at.IsZero() {
		age := v.now().Sub(v.at)
		if age < v.TTL {
			val := v.val
			v.mu.Unlock()
			return val, nil
		}
		if age < v.MaxAge {
			val := v.val
			if !v.refreshing {
				v.refreshing = true
				go v.refresh()
			}
			v.mu.Unlock()
			return val, nil
		}
	}
	if wait := v.loading; wait != nil {
		v.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.loadErr != nil {
			var zero T
			return zero, v.loadErr
		}
		return v.val, nil
	}
	done := make(chan struct{})
	v.loading = done
	v.mu.Unlock()
	val, err := v.Load(ctx)
	v.mu.Lock()
	if err == nil {
		v.val, v.at = val, v.now()
	}
	v.loadErr, v.loading = err, nil
	close(done)
	v.mu.Unlock()
	return val, err
}

// refresh reloads the value in the background; a failure keeps the stale one.
func (v *Value[T]) refresh() {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultRefreshTimeout)
	defer cancel()
	val, err := v.Load(ctx)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.refreshing = false
	if err == nil {
		v.val, v.at = val, v.now()
	}
}
