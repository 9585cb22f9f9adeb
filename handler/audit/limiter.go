package audit

import (
	"context"
	"sync"
	"time"
)

// limiter bounds the pages in flight and adapts to Graph's throttling:
// every throttled answer (429, or 503) cuts the allowance by a quarter (at
// most once a second), and a run of successful pages wins one slot back,
// up to the number of workers. Graph's own Retry-After is honoured by the
// pipeline's retries; this keeps the other workers from piling on.
type limiter struct {
	mu        sync.Mutex
	max       int
	allowed   int
	active    int
	streak    int
	throttled int
	lastCut   time.Time
}

func newLimiter(n int) *limiter { return &limiter{max: n, allowed: n} }

func (l *limiter) acquire(ctx context.Context) error {
	for {
		l.mu.Lock()
		if l.active < l.allowed {
			l.active++
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		t := time.NewTimer(20 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (l *limiter) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.active--
	l.streak++
	if l.streak >= 2*l.allowed && l.allowed < l.max {
		l.allowed++
		l.streak = 0
	}
}

// throttle records a throttled answer.
func (l *limiter) throttle(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttled++
	l.streak = 0
	if now.Sub(l.lastCut) >= time.Second {
		l.allowed = max(1, l.allowed*3/4)
		l.lastCut = now
	}
}

// state returns the allowance and the throttled answers so far.
func (l *limiter) state() (allowed, throttled int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.allowed, l.throttled
}
