package aircall

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// limiter is the client's leaky bucket: requests leave it one interval
// apart (window/limit), never in a burst, so the client stays under a
// company budget of limit requests per window however Aircall's own
// bucket is sized. It is a per-retry policy: every try, retries included,
// takes a slot. A 429's reset holds every request until then.
type limiter struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu       sync.Mutex
	window   time.Duration
	limit    int
	interval time.Duration
	next     time.Time // earliest start of the next request
}

func newLimiter(limit int, window time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *limiter {
	return &limiter{now: now, sleep: sleep, window: window, limit: limit, interval: window / time.Duration(limit)}
}

// Do waits for a slot, then sends the request.
func (l *limiter) Do(req *policy.Request) (*http.Response, error) {
	if err := l.wait(req.Raw().Context()); err != nil {
		return nil, err
	}
	return req.Next()
}

// wait reserves the next slot and sleeps until it.
func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	now := l.now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	return l.sleep(ctx, at.Sub(now))
}

// holdUntil makes no request start before t.
func (l *limiter) holdUntil(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.next) {
		l.next = t
	}
}

// observeLimit lowers the pace to an X-AircallApi-Limit header (requests
// per window) lower than the current limit.
func (l *limiter) observeLimit(h string) {
	n, err := strconv.Atoi(h)
	if err != nil || n <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < l.limit {
		l.limit, l.interval = n, l.window/time.Duration(n)
	}
}

// pace returns the current limit per window (tests, benchmarks).
func (l *limiter) pace() (int, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit, l.window
}

// parseReset reads X-AircallApi-Reset: a UNIX time in seconds (a value too
// large for seconds is read as milliseconds, as some integrators report).
func parseReset(h string) (time.Time, bool) {
	n, err := strconv.ParseInt(h, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	if n > 1e11 {
		return time.UnixMilli(n), true
	}
	return time.Unix(n, 0), true
}

func formatMillis(d time.Duration) string {
	return strconv.FormatInt(d.Milliseconds(), 10)
}
