package swr_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/swr"
)

// counter loads its call count, optionally failing or blocking.
type counter struct {
	n    atomic.Int32
	fail atomic.Bool
	gate chan struct{}
}

func (c *counter) load(ctx context.Context) (int, error) {
	if c.gate != nil {
		<-c.gate
	}
	n := int(c.n.Add(1))
	if c.fail.Load() {
		return 0, errors.New("graph unavailable")
	}
	return n, nil
}

func TestValue(t *testing.T) {
	var clock atomic.Int64
	c := &counter{gate: make(chan struct{})}
	v := &swr.Value[int]{Load: c.load, TTL: time.Minute, MaxAge: 10 * time.Minute,
		Now: func() time.Time { return time.Unix(0, clock.Load()) }}
	ctx := context.Background()

	// Concurrent first callers share one load.
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := v.Get(ctx); err != nil || got != 1 {
				t.Errorf("first Get = %d, %v; want 1", got, err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(c.gate)
	wg.Wait()
	if c.n.Load() != 1 {
		t.Fatalf("%d loads for 10 concurrent first callers, want 1", c.n.Load())
	}

	// Stale: served at once, one background refresh replaces it.
	clock.Add(int64(2 * time.Minute))
	if got, _ := v.Get(ctx); got != 1 {
		t.Fatalf("stale Get = %d, want the stale 1", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.n.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for time.Now().Before(deadline) {
		if got, _ := v.Get(ctx); got == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if got, _ := v.Get(ctx); got != 2 || c.n.Load() != 2 {
		t.Fatalf("after the refresh Get = %d with %d loads, want 2 and 2", got, c.n.Load())
	}

	// A failing refresh keeps the stale value until MaxAge; then the error.
	c.fail.Store(true)
	clock.Add(int64(2 * time.Minute))
	if got, err := v.Get(ctx); got != 2 || err != nil {
		t.Fatalf("stale Get while Graph fails = %d, %v; want 2", got, err)
	}
	clock.Add(int64(20 * time.Minute))
	if _, err := v.Get(ctx); err == nil {
		t.Fatal("a value older than MaxAge was served although loading fails")
	}
}
