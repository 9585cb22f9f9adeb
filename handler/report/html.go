package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

//go:embed page.gohtml
var pageSource string

//go:embed style.css
var styleSource string

// ContentSecurityPolicy is the policy to serve the page with: it allows
// the page's inline style and nothing else (no script, no request), so a
// value that slipped through escaping could still not run or call out.
const ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// page is what the template renders: the model and its drawing.
type page struct {
	Model
	CSS      template.CSS
	Colors   map[domain.FindingKind]string
	Chart    chart
	Timeline timeline
	// CSVHref and JSONHref are the same data in other formats, for the
	// shown run (?run= keeps a link on the run the reader saw).
	CSVHref, JSONHref string
}

// HTML writes the model as one self-contained page.
func HTML(w io.Writer, m Model) error {
	t, err := template.New("page").Funcs(funcs()).Parse(pageSource)
	if err != nil {
		return fmt.Errorf("report: parse the page template: %w", err)
	}
	order := kindOrder(m)
	colors := kindColors(order)
	p := page{Model: m, CSS: template.CSS(styleSource), Colors: colors,
		Chart: trendChart(m.History, order, colors), Timeline: certTimeline(m.Health.Certificates, m.GeneratedAt),
		CSVHref: formatHref("csv", m.Run.RunID), JSONHref: formatHref("json", m.Run.RunID)}
	if err := t.Execute(w, p); err != nil {
		return fmt.Errorf("report: render the page: %w", err)
	}
	return nil
}

// formatHref is the page's own URL asking for another format of run id.
func formatHref(format, runID string) string {
	q := url.Values{"format": {format}}
	if runID != "" {
		q.Set("run", runID)
	}
	return "?" + q.Encode()
}

func funcs() template.FuncMap {
	return template.FuncMap{
		"headline":   headline,
		"changeText": changeText,
		"ts":         func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"day":        func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"num":        func(n int) string { return thousands(int64(n)) },
		"num64":      thousands,
		"plural":     plural,
		"signed":     signed,
		"reveal":     reveal,
		"title":      Title,
		"shown": func(ps []Person) []Person {
			return ps[:min(len(ps), ShownPeople)]
		},
		"more":   more,
		"color":  func(c map[domain.FindingKind]string, k domain.FindingKind) string { return c[k] },
		"anchor": func(k domain.FindingKind) string { return "cause-" + strings.ReplaceAll(string(k), ".", "-") },
		"add":    func(a, b float64) float64 { return a + b },
		"sub":    func(a, b float64) float64 { return a - b },
		"mid":    func(a, b float64) float64 { return (a + b) / 2 },
	}
}

// headline is the page's first sentence.
func headline(h Headline) string {
	lead := ""
	if h.AtLeast {
		lead = "At least "
	}
	switch {
	case h.People == 0 && !h.AtLeast:
		return "No one would fail to sign in to Aircall right now"
	case h.People == 1:
		return lead + "1 person would fail to sign in to Aircall right now"
	}
	return lead + thousands(int64(h.People)) + " people would fail to sign in to Aircall right now"
}

// changeText says how the headline changed since the previous run.
func changeText(h Headline) string {
	if h.Previous == nil {
		return "First audit run: no previous run to compare with"
	}
	when := "the previous run (" + h.Previous.EndedAt.UTC().Format("Jan 2, 15:04 UTC") + ")"
	switch {
	case h.Change > 0:
		return "▲ " + thousands(int64(h.Change)) + " more than " + when
	case h.Change < 0:
		return "▼ " + thousands(int64(-h.Change)) + " fewer than " + when
	}
	return "No change since " + when
}

// more says how much of a cause's list the page shows.
func more(c Cause) string {
	n := len(c.People)
	s := "All " + thousands(int64(n)) + " people are listed."
	switch {
	case n == 1:
		s = "The one person is listed."
	case n > ShownPeople:
		s = "The first " + thousands(ShownPeople) + " of " + plural(n, "person", "people") + " are listed."
	}
	if c.Open > n {
		s += " This run's report names " + thousands(int64(n)) + " of the " + thousands(int64(c.Open)) + " open findings."
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(int64(n)) + " " + many
}

func signed(n int) string {
	switch {
	case n > 0:
		return "+" + thousands(int64(n))
	case n < 0:
		return "−" + thousands(int64(-n))
	}
	return "no change"
}

// thousands writes n with thousands separators: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// reveal shows the invisible characters that reorder text (bidirectional
// controls) as [U+202E], so a hostile name cannot disguise itself or its
// neighbours; html/template escapes the rest.
func reveal(s string) string {
	if !strings.ContainsFunc(s, bidiControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if bidiControl(r) {
			fmt.Fprintf(&b, "[U+%04X]", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func bidiControl(r rune) bool {
	return r == 0x061C || r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}
