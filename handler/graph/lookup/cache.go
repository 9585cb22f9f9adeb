package lookup

import (
	"context"
	"sync"
	"time"
)

// refreshTimeout bounds a background refresh.
const refreshTimeout = 30 * time.Second

// cached holds one app-wide value (the assigned principals, the claim
// configuration) for a diagnosis to reuse. A fresh value is returned as is.
// A stale one is returned too, while one background refresh replaces it, so
// no request waits on Graph for facts it had a minute ago; only the first
// caller, with nothing cached, loads synchronously (concurrent first callers
// share that one load). A failed refresh keeps the stale value, up to maxAge,
// after which callers load synchronously again and see the error.
type cached[T any] struct {
	ttl, maxAge time.Duration
	load        func(ctx context.Context) (T, error)

	mu         sync.Mutex
	val        T
	at         time.Time // zero: nothing cached
	loading    chan struct{}
	refreshing bool
	err        error
}

func (c *cached[T]) get(ctx context.Context) (T, error) {
	c.mu.Lock()
	age := time.Since(c.at)
	switch {
	case !c.at.IsZero() && age < c.ttl:
		v := c.val
		c.mu.Unlock()
		return v, nil
	case !c.at.IsZero() && age < c.maxAge:
		v := c.val
		if !c.refreshing {
			c.refreshing = true
			go c.refresh()
		}
		c.mu.Unlock()
		return v, nil
	}
	if c.loading == nil {
		c.loading = make(chan struct{})
		done := c.loading
		c.mu.Unlock()
		v, err := c.load(ctx)
		c.mu.Lock()
		if err == nil {
			c.val, c.at = v, time.Now()
		}
		c.err = err
		c.loading = nil
		close(done)
		c.mu.Unlock()
		return v, err
	}
	wait := c.loading
	c.mu.Unlock()
	select {
	case <-wait:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		var zero T
		return zero, c.err
	}
	return c.val, nil
}

// refresh reloads the value in the background.
func (c *cached[T]) refresh() {
	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	v, err := c.load(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshing = false
	if err == nil {
		c.val, c.at = v, time.Now()
	}
}
