package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// render renders m and parses the page.
func render(t *testing.T, m Model) (*html.Node, string) {
	t.Helper()
	var b bytes.Buffer
	if err := HTML(&b, m); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return doc, b.String()
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, c string) bool {
	v, _ := attr(n, "class")
	return slices.Contains(strings.Fields(v), c)
}

// find returns the elements under n that match.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

func byID(doc *html.Node, id string) *html.Node {
	ns := find(doc, func(n *html.Node) bool { v, _ := attr(n, "id"); return v == id })
	if len(ns) != 1 {
		return nil
	}
	return ns[0]
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// TestPageStructure renders the realistic page and checks its structure:
// the headline, one section per cause in order with at most ShownPeople
// rows, the remedy once per cause, the CSV link on the run, one chart
// series per kind with a point per run, and nothing external.
func TestPageStructure(t *testing.T) {
	m := Build(fixtureInput())
	doc, page := render(t, m)

	if h1 := find(doc, tag("h1")); len(h1) != 1 || text(h1[0]) != "292 people would fail to sign in to Aircall right now" {
		t.Errorf("h1 = %v", h1)
	}
	sections := find(doc, func(n *html.Node) bool { return n.Data == "section" && hasClass(n, "cause") })
	if len(sections) != len(m.Causes) {
		t.Fatalf("%d cause sections, want %d", len(sections), len(m.Causes))
	}
	csvHref := "?format=csv&run=" + url.QueryEscape(m.Run.RunID)
	for i, s := range sections {
		c := m.Causes[i]
		if k, _ := attr(s, "data-kind"); k != string(c.Kind) {
			t.Errorf("section %d is %s, want %s", i, k, c.Kind)
		}
		rows := find(s, func(n *html.Node) bool { return n.Data == "tr" && hasClass(n, "person") })
		if want := min(len(c.People), ShownPeople); len(rows) != want {
			t.Errorf("section %s lists %d people, want %d", c.Kind, len(rows), want)
		}
		if n := strings.Count(text(s), c.Remedy); n != 1 {
			t.Errorf("section %s states its remedy %d times, want once", c.Kind, n)
		}
		links := find(s, func(n *html.Node) bool { h, _ := attr(n, "href"); return n.Data == "a" && h == csvHref })
		if len(links) != 1 {
			t.Errorf("section %s: %d links to %s, want 1", c.Kind, len(links), csvHref)
		}
	}
	if !strings.Contains(text(sections[0]), "The first 50 of 176 people are listed.") {
		t.Errorf("the first section does not say it lists 50 of 176: %q", text(sections[0]))
	}

	chart := byID(doc, "trend-chart")
	if chart == nil {
		t.Fatal("no #trend-chart")
	}
	lines := find(chart, tag("polyline"))
	if len(lines) != 5 {
		t.Errorf("%d series, want 5", len(lines))
	}
	for _, l := range lines {
		k, _ := attr(l, "data-kind")
		pts, _ := attr(l, "points")
		if n := len(strings.Fields(pts)); n != MaxRuns || k == "" {
			t.Errorf("series %q has %d points, want %d", k, n, MaxRuns)
		}
	}

	for _, n := range find(doc, func(*html.Node) bool { return true }) {
		if n.Data == "script" || n.Data == "iframe" || n.Data == "object" {
			t.Errorf("the page has a <%s>", n.Data)
		}
		if v, ok := attr(n, "src"); ok {
			t.Errorf("<%s src=%q>: the page must be self-contained", n.Data, v)
		}
		if v, ok := attr(n, "href"); ok && !(strings.HasPrefix(v, "?") || strings.HasPrefix(v, "#") || strings.HasPrefix(v, "data:")) {
			t.Errorf("<%s href=%q>: the page must not link out", n.Data, v)
		}
	}
	if !strings.Contains(page, "@media print") {
		t.Error("no print styles")
	}
	for _, id := range []string{"drift", "metadata", "certificates", "aircall"} {
		if byID(doc, id) == nil {
			t.Errorf("no #%s in the app health", id)
		}
	}
}

// TestPageEdges renders pages with little in them.
func TestPageEdges(t *testing.T) {
	tests := []struct {
		name     string
		in       Input
		headline string
		contains []string
		absent   []string
	}{
		{
			name:     "first run, nothing found, nothing archived",
			in:       Input{Audit: audit("r1", t0, map[domain.FindingKind]int{}), Now: t0},
			headline: "No one would fail to sign in to Aircall right now",
			contains: []string{"First audit run", "Everyone this run checked can sign in", "No open findings in these runs", "Not checked.", "Nothing archived yet."},
			absent:   []string{`id="aircall"`, `id="certificates"`, `class="card cause"`},
		},
		{
			name: "one person, an incomplete run with a note",
			in: Input{Audit: Audit{Run: Run{RunID: "r2", EndedAt: t0, Notes: []string{"resumed"}}, Counts: map[domain.FindingKind]int{domain.FindingUserDisabled: 1},
				Findings: []domain.Finding{uf(domain.FindingUserDisabled, domain.SeverityError, "a", "a@x", "enable it")}},
				History: []RunSummary{{RunID: "r1", EndedAt: t0.Add(-time.Hour), People: 1, Open: map[domain.FindingKind]int{domain.FindingUserDisabled: 1}}}},
			headline: "1 person would fail to sign in to Aircall right now",
			contains: []string{"No change since the previous run", "stopped at its time budget", "resumed", "The one person is listed."},
		},
		{
			name:     "more open than listed",
			in:       Input{Audit: audit("r3", t0, map[domain.FindingKind]int{domain.FindingUPNMismatch: 1200}, uf(domain.FindingUPNMismatch, domain.SeverityError, "a", "a@x", "r"))},
			headline: "At least 1,200 people would fail to sign in to Aircall right now",
			contains: []string{"names 1 of the 1,200 open findings"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, page := render(t, Build(tt.in))
			if h := byID(doc, "headline"); h == nil || text(h) != tt.headline {
				t.Errorf("headline = %q, want %q", text(h), tt.headline)
			}
			for _, s := range tt.contains {
				if !strings.Contains(page, s) {
					t.Errorf("the page lacks %q", s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(page, s) {
					t.Errorf("the page has %q", s)
				}
			}
		})
	}
}

// hostile is a run whose every person-supplied value tries to break out.
func hostile() Model {
	u := domain.User{ID: "h1", DisplayName: `<script>alert("name")</script>`, UserPrincipalName: `"><img src=x onerror=alert(1)>@evil.com`,
		Mail: "admin\u202Emoc.live@evil.com"}
	f := domain.Finding{Kind: domain.FindingUPNMismatch, Severity: domain.SeverityError, Key: "h1", Subject: u.UserPrincipalName,
		Remedy: `<b>bold</b> & "quoted"`, User: &u, EmailClaim: "=HYPERLINK(\"http://evil\")"}
	g := f
	g.Key, g.Remedy = "h2", "-2+3"
	g.User = &domain.User{ID: "h2", UserPrincipalName: "+1@evil.com", Mail: "@SUM(A1)", DisplayName: "\u202Egnp.exe"}
	g.EmailClaim = "\t=cmd"
	return Build(Input{Audit: Audit{Run: Run{RunID: `r"><script>alert(2)</script>`, EndedAt: t0, Complete: true, Notes: []string{`<iframe src="//evil">`}},
		Counts: map[domain.FindingKind]int{domain.FindingUPNMismatch: 2}, Findings: []domain.Finding{f, g}}})
}

func TestPageEscapesHostileValues(t *testing.T) {
	m := hostile()
	doc, page := render(t, m)
	for _, n := range find(doc, func(*html.Node) bool { return true }) {
		if slices.Contains([]string{"script", "img", "iframe", "b"}, n.Data) {
			t.Errorf("a hostile value became a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("a hostile value became an attribute %s=%q", a.Key, a.Val)
			}
		}
	}
	body := text(doc)
	for _, s := range []string{`<script>alert("name")</script>`, `"><img src=x onerror=alert(1)>@evil.com`, "admin[U+202E]moc.live@evil.com",
		"[U+202E]gnp.exe", `<b>bold</b> & "quoted"`, `<iframe src="//evil">`} {
		if !strings.Contains(body, s) {
			t.Errorf("the page does not show %q as text", s)
		}
	}
	if strings.ContainsRune(page, '\u202E') {
		t.Error("a raw right-to-left override reached the page")
	}
	want := "?format=csv&run=" + url.QueryEscape(m.Run.RunID)
	if len(find(doc, func(n *html.Node) bool { h, _ := attr(n, "href"); return h == want })) == 0 {
		t.Errorf("no CSV link %q for the hostile run id", want)
	}
}

func TestCSV(t *testing.T) {
	m := hostile()
	var b bytes.Buffer
	if err := CSV(&b, m); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"kind", "severity", "userPrincipalName", "mail", "emailClaim", "remedy"},
		{"user.upn-mismatch", "error", `"><img src=x onerror=alert(1)>@evil.com`, "admin\u202Emoc.live@evil.com", `'=HYPERLINK("http://evil")`, `<b>bold</b> & "quoted"`},
		{"user.upn-mismatch", "error", "'+1@evil.com", "'@SUM(A1)", "'\t=cmd", "'-2+3"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("CSV rows\n%q\nwant\n%q", rows, want)
	}

	m = Build(fixtureInput())
	b.Reset()
	if err := CSV(&b, m); err != nil {
		t.Fatal(err)
	}
	rows, _ = csv.NewReader(&b).ReadAll()
	people := 0
	for _, c := range m.Causes {
		people += len(c.People)
	}
	if len(rows) != people+1 || people != 297 {
		t.Errorf("%d CSV rows, want a header and every person of every cause (%d), not the first %d of each", len(rows), people, ShownPeople)
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{"": "", "a@x": "a@x", "=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@A1": "'@A1", "\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b"} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSON(t *testing.T) {
	m := Build(fixtureInput())
	var b bytes.Buffer
	if err := JSON(&b, m); err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Headline.People != 292 || len(back.Causes) != 5 || len(back.Causes[0].People) != 176 || len(back.History) != MaxRuns ||
		back.Health.Aircall == nil || back.Run.RunID != m.Run.RunID {
		t.Errorf("JSON round trip: %+v", back.Headline)
	}
	for _, key := range []string{`"headline"`, `"causes"`, `"history"`, `"health"`, `"userPrincipalName"`, `"daysLeft"`} {
		if !bytes.Contains(b.Bytes(), []byte(key)) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}
