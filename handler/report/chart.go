package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// palette colours the kinds (Tableau 10: distinct, readable in print).
const palette = "#4e79a7 #e15759 #f28e2b #59a14f #b07aa1 #76b7b2 #edc948 #9c755f #ff9da7 #bab0ac"

// kindOrder lists the kinds on the page: the causes' kinds first, in their
// order, then the other kinds of the history by name. It orders the chart's
// series and gives each kind its colour.
func kindOrder(m Model) []domain.FindingKind {
	var kinds []domain.FindingKind
	for _, c := range m.Causes {
		kinds = append(kinds, c.Kind)
	}
	for _, k := range historyKinds(m.History) {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// kindColors gives each kind of order a colour.
func kindColors(order []domain.FindingKind) map[domain.FindingKind]string {
	colors := strings.Fields(palette)
	out := make(map[domain.FindingKind]string, len(order))
	for i, k := range order {
		out[k] = colors[i%len(colors)]
	}
	return out
}

// historyKinds lists the kinds any run of the history counts, by name.
func historyKinds(h []RunSummary) []domain.FindingKind {
	var kinds []domain.FindingKind
	for _, r := range h {
		for k := range r.Open {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	slices.Sort(kinds)
	return kinds
}

// The trend chart's geometry, in SVG user units.
const (
	chartW, chartH                              = 800.0, 280.0
	chartLeft, chartRight, chartTop, chartBelow = 56.0, 16.0, 14.0, 34.0
)

type tick struct {
	At     float64
	Label  string
	Anchor string
}

type point struct{ X, Y float64 }

type series struct {
	Kind   domain.FindingKind
	Title  string
	Color  string
	Points string
	Last   point
	Value  int
	Count  int
}

type chart struct {
	W, H, Left, Right, Top, Bottom float64
	Runs                           int
	YTicks, XTicks                 []tick
	Series                         []series
}

// trendChart lays out one line per kind of the history over its runs
// (oldest first), one point per run, the kinds in the order given.
func trendChart(h []RunSummary, order []domain.FindingKind, colors map[domain.FindingKind]string) chart {
	c := chart{W: chartW, H: chartH, Left: chartLeft, Right: chartW - chartRight, Top: chartTop, Bottom: chartH - chartBelow, Runs: len(h)}
	peak := 0
	for _, r := range h {
		for _, v := range r.Open {
			peak = max(peak, v)
		}
	}
	step := niceStep(float64(peak) / 5)
	top := max(step, step*int64(math.Ceil(float64(peak)/float64(step))))
	for v := int64(0); v <= top; v += step {
		c.YTicks = append(c.YTicks, tick{At: c.y(float64(v), float64(top)), Label: compact(v)})
	}
	for _, i := range labelledRuns(len(h)) {
		t := tick{At: c.x(i), Label: h[i].EndedAt.UTC().Format("Jan 2"), Anchor: "middle"}
		if len(h) > 1 && i == len(h)-1 {
			t.Anchor = "end"
		} else if len(h) > 1 && i == 0 {
			t.Anchor = "start"
		}
		c.XTicks = append(c.XTicks, t)
	}
	present := historyKinds(h)
	for _, k := range order {
		if !slices.Contains(present, k) {
			continue
		}
		s := series{Kind: k, Title: Title(k), Color: colors[k], Count: len(h)}
		pts := make([]string, len(h))
		for i, r := range h {
			p := point{X: c.x(i), Y: c.y(float64(r.Open[k]), float64(top))}
			pts[i] = strconv.FormatFloat(p.X, 'f', 1, 64) + "," + strconv.FormatFloat(p.Y, 'f', 1, 64)
			s.Last, s.Value = p, r.Open[k]
		}
		s.Points = strings.Join(pts, " ")
		c.Series = append(c.Series, s)
	}
	return c
}

// x is the horizontal position of run i; a single run sits in the middle.
func (c chart) x(i int) float64 {
	if c.Runs <= 1 {
		return (c.Left + c.Right) / 2
	}
	return c.Left + (c.Right-c.Left)*float64(i)/float64(c.Runs-1)
}

func (c chart) y(v, top float64) float64 { return c.Bottom - (c.Bottom-c.Top)*v/top }

// labelledRuns picks about six runs to date on the x axis, the last always.
func labelledRuns(n int) []int {
	if n == 0 {
		return nil
	}
	step := max(1, (n+5)/6)
	var out []int
	for i := 0; i < n-1; i += step {
		if n-1-i >= (step+1)/2 {
			out = append(out, i)
		}
	}
	return append(out, n-1)
}

// niceStep returns the 1-2-5 step at or above x, at least 1.
func niceStep(x float64) int64 {
	if x <= 1 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(x)))
	f := x / e
	switch {
	case f <= 1:
		f = 1
	case f <= 2:
		f = 2
	case f <= 5:
		f = 5
	default:
		f = 10
	}
	return int64(f * e)
}

// compact writes a count briefly: 950, 12k, 1.5M.
func compact(v int64) string {
	for _, u := range []struct {
		n      float64
		suffix string
	}{{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}} {
		if math.Abs(float64(v)) >= u.n {
			s := strconv.FormatFloat(float64(v)/u.n, 'f', 1, 64)
			return strings.TrimSuffix(s, ".0") + u.suffix
		}
	}
	return strconv.FormatInt(v, 10)
}

// The certificate timeline's geometry.
const (
	lineW, lineLabel, lineRow, lineHead = 800.0, 190.0, 30.0, 28.0
)

type bar struct {
	Y, X1, X2, TextX float64
	Label, Days      string
	State            string
	Active           bool
	Title            string
}

type timeline struct {
	W, H, Left, Right, Today float64
	Ticks                    []tick
	Bars                     []bar
}

// certTimeline lays out each certificate's validity as a bar on one time
// axis with today marked.
func certTimeline(cs []Certificate, now time.Time) timeline {
	t := timeline{W: lineW, H: lineHead + lineRow*float64(len(cs)) + 8, Left: lineLabel, Right: lineW - 100}
	if len(cs) == 0 {
		return t
	}
	from, to := now, now
	for _, c := range cs {
		from, to = minTime(from, c.NotBefore), maxTime(to, c.NotAfter)
	}
	span := to.Sub(from)
	if span <= 0 {
		span = time.Hour
	}
	x := func(at time.Time) float64 { return t.Left + (t.Right-t.Left)*float64(at.Sub(from))/float64(span) }
	t.Today = x(now)
	for i := 0; i <= 4; i++ {
		at := from.Add(time.Duration(float64(span) * float64(i) / 4))
		t.Ticks = append(t.Ticks, tick{At: x(at), Label: at.UTC().Format("Jan 2006")})
	}
	for i, c := range cs {
		b := bar{Y: lineHead + lineRow*float64(i), X1: x(c.NotBefore), X2: x(c.NotAfter), State: c.State, Active: c.SignsDocument,
			Label: shortThumb(c.Thumbprint), Days: daysText(c),
			Title: fmt.Sprintf("%s — valid %s to %s", c.Thumbprint, c.NotBefore.UTC().Format("2006-01-02"), c.NotAfter.UTC().Format("2006-01-02"))}
		if c.SignsDocument {
			b.Label += " (in use)"
		}
		b.X2 = max(b.X2, b.X1+2)
		b.TextX = b.X2 + 6
		t.Bars = append(t.Bars, b)
	}
	return t
}

func shortThumb(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

func daysText(c Certificate) string {
	switch {
	case c.State == "expired":
		return "expired"
	case c.DaysLeft == 1:
		return "1 day left"
	}
	return strconv.Itoa(c.DaysLeft) + " days left"
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
