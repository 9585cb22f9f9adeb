package aircall

import (
	"context"
	"testing"
	"time"
)

// fakeClock is a clock whose Sleep advances Now.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	if d > 0 {
		c.t = c.t.Add(d)
	}
	return nil
}

// The leaky bucket lets requests out one interval apart, holds them until
// a 429's reset, and slows to a lower X-AircallApi-Limit (never speeds up).
func TestLimiterPaces(t *testing.T) {
	start := time.Unix(1700000000, 0)
	clk := &fakeClock{t: start}
	l := newLimiter(60, time.Minute, clk.now, clk.sleep)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := l.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := clk.t.Sub(start); got != 4*time.Second {
		t.Errorf("5 requests at 60/min took %s, want 4s", got)
	}
	l.holdUntil(clk.t.Add(10 * time.Second))
	before := clk.t
	_ = l.wait(ctx)
	if got := clk.t.Sub(before); got != 10*time.Second {
		t.Errorf("after a reset 10s away the next request waited %s", got)
	}
	l.observeLimit("30")
	l.observeLimit("600")
	l.observeLimit("junk")
	if n, w := l.pace(); n != 30 || w != time.Minute {
		t.Errorf("pace = %d per %s, want 30 per minute", n, w)
	}
	before = clk.t
	_ = l.wait(ctx)
	_ = l.wait(ctx)
	if got := clk.t.Sub(before); got != 3*time.Second {
		t.Errorf("two requests at 30/min after one at 60/min took %s, want 1s + 2s", got)
	}
}

func TestParseReset(t *testing.T) {
	for h, want := range map[string]time.Time{"1700000000": time.Unix(1700000000, 0), "1700000000123": time.UnixMilli(1700000000123)} {
		if got, ok := parseReset(h); !ok || !got.Equal(want) {
			t.Errorf("parseReset(%q) = %v, %v; want %v", h, got, ok, want)
		}
	}
	for _, h := range []string{"", "-1", "soon", "0"} {
		if _, ok := parseReset(h); ok {
			t.Errorf("parseReset(%q) accepted", h)
		}
	}
}
