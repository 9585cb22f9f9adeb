package report

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

func TestNiceStepAndCompact(t *testing.T) {
	for _, tt := range []struct {
		x    float64
		want int64
	}{{0, 1}, {0.4, 1}, {1, 1}, {1.5, 2}, {3, 5}, {7, 10}, {84, 100}, {120, 200}, {2e11, 2e11}, {2.1e11, 5e11}} {
		if got := niceStep(tt.x); got != tt.want {
			t.Errorf("niceStep(%v) = %d, want %d", tt.x, got, tt.want)
		}
	}
	for _, tt := range []struct {
		v    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1k"}, {1500, "1.5k"}, {250000, "250k"}, {3e6, "3M"}, {4.25e9, "4.2B"}, {7e12, "7T"}} {
		if got := compact(tt.v); got != tt.want {
			t.Errorf("compact(%d) = %q, want %q", tt.v, got, tt.want)
		}
	}
	if got := thousands(1234567); got != "1,234,567" {
		t.Errorf("thousands = %q", got)
	}
	if got := thousands(-1000); got != "-1,000" {
		t.Errorf("thousands = %q", got)
	}
}

func TestLabelledRuns(t *testing.T) {
	for n := range 40 {
		got := labelledRuns(n)
		if n == 0 {
			if got != nil {
				t.Errorf("labelledRuns(0) = %v", got)
			}
			continue
		}
		if got[len(got)-1] != n-1 || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) || len(got) > 7 {
			t.Errorf("labelledRuns(%d) = %v: want at most 7 increasing runs ending with the last", n, got)
		}
	}
}

func runs(n int, open func(i int) map[domain.FindingKind]int) []RunSummary {
	var out []RunSummary
	for i := range n {
		out = append(out, RunSummary{RunID: strconv.Itoa(i), EndedAt: t0.AddDate(0, 0, i), Open: open(i)})
	}
	return out
}

func TestTrendChart(t *testing.T) {
	a, b := domain.FindingUPNMismatch, domain.FindingUserDisabled
	tests := []struct {
		name   string
		h      []RunSummary
		series int
		peak   int64
	}{
		{"one run", runs(1, func(int) map[domain.FindingKind]int { return map[domain.FindingKind]int{a: 5, b: 2} }), 2, 5},
		{"no findings at all", runs(3, func(int) map[domain.FindingKind]int { return nil }), 0, 0},
		{"kinds counted zero", runs(3, func(int) map[domain.FindingKind]int { return map[domain.FindingKind]int{a: 0} }), 1, 0},
		{"30 runs", runs(30, func(i int) map[domain.FindingKind]int { return map[domain.FindingKind]int{a: 400 - i*9, b: i % 7} }), 2, 400},
		{"huge counts", runs(30, func(i int) map[domain.FindingKind]int { return map[domain.FindingKind]int{a: 3e12 + i, b: 1} }), 2, 3e12},
		{"a kind that appears later", runs(5, func(i int) map[domain.FindingKind]int {
			if i < 3 {
				return map[domain.FindingKind]int{a: 1}
			}
			return map[domain.FindingKind]int{a: 1, b: 9}
		}), 2, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order := historyKinds(tt.h)
			c := trendChart(tt.h, order, kindColors(order))
			if len(c.Series) != tt.series {
				t.Fatalf("%d series, want %d", len(c.Series), tt.series)
			}
			for _, s := range c.Series {
				pts := strings.Fields(s.Points)
				if len(pts) != len(tt.h) {
					t.Errorf("series %s: %d points, want one per run (%d)", s.Kind, len(pts), len(tt.h))
				}
				for _, p := range pts {
					x, y, _ := strings.Cut(p, ",")
					xf, _ := strconv.ParseFloat(x, 64)
					yf, _ := strconv.ParseFloat(y, 64)
					if math.IsNaN(xf) || math.IsNaN(yf) || xf < c.Left || xf > c.Right || yf < c.Top-0.05 || yf > c.Bottom+0.05 {
						t.Errorf("series %s: point %s outside the plot %v–%v × %v–%v", s.Kind, p, c.Left, c.Right, c.Top, c.Bottom)
					}
				}
				if s.Color == "" {
					t.Errorf("series %s has no colour", s.Kind)
				}
			}
			if len(c.YTicks) < 2 || len(c.YTicks) > 7 {
				t.Errorf("%d y ticks: %+v", len(c.YTicks), c.YTicks)
			}
			top := c.YTicks[len(c.YTicks)-1]
			if top.At != c.Top {
				t.Errorf("the top tick is at %v, want the plot's top %v", top.At, c.Top)
			}
			if len(c.XTicks) == 0 || c.XTicks[len(c.XTicks)-1].Label != tt.h[len(tt.h)-1].EndedAt.Format("Jan 2") {
				t.Errorf("x ticks %+v: want the last run dated", c.XTicks)
			}
		})
	}
}

func TestCertTimeline(t *testing.T) {
	now := t0
	cs := []Certificate{
		{CertificateFacts: domain.CertificateFacts{Thumbprint: "A1B2C3D4E5F6A7B8", NotBefore: now.AddDate(-3, 0, 0), NotAfter: now.AddDate(0, 0, 10), SignsDocument: true}, DaysLeft: 10, State: "due"},
		{CertificateFacts: domain.CertificateFacts{Thumbprint: "B", NotBefore: now, NotAfter: now}, State: "expired"},
	}
	tl := certTimeline(cs, now)
	if tl.Today < tl.Left || tl.Today > tl.Right || len(tl.Bars) != 2 || len(tl.Ticks) != 5 {
		t.Fatalf("timeline = %+v", tl)
	}
	if b := tl.Bars[0]; b.X1 != tl.Left || b.X2 > tl.Right || b.Label != "A1B2C3D4E5F6… (in use)" || b.Days != "10 days left" {
		t.Errorf("bar = %+v", b)
	}
	if b := tl.Bars[1]; b.X2 < b.X1+2 || b.Days != "expired" {
		t.Errorf("a zero-length certificate still shows: %+v", b)
	}
	if got := certTimeline(nil, time.Time{}); len(got.Bars) != 0 {
		t.Errorf("no certificates: %+v", got)
	}
}
