package report

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/identity-ops/aircall-entra-sso/devenv/browser"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "also write the report page's screenshot to docs/report.png (or to $REPORT_SCREENSHOT)")

// serve answers like GET /api/report: the page, or ?format=csv / json.
func serve(t *testing.T, m Model) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		switch r.URL.Query().Get("format") {
		case "csv":
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			err = CSV(w, m)
		case "json":
			w.Header().Set("Content-Type", "application/json")
			err = JSON(w, m)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", ContentSecurityPolicy)
			err = HTML(w, m)
		}
		if err != nil {
			t.Errorf("render %s: %v", r.URL, err)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestReportPageInBrowser loads the realistic page in headless Chromium and
// checks what a reader sees: the headline, one section per cause in order,
// one chart series per kind with a point per run, no console error, no
// request beyond the page itself. It saves a full-page screenshot.
func TestReportPageInBrowser(t *testing.T) {
	m := Build(fixtureInput())
	srv := serve(t, m)
	ctx := browser.Start(t, 3*time.Minute)
	problems := browser.Watch(t, ctx)
	page := srv.URL + "/api/report"
	if err := chromedp.Do(ctx, chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.ID("headline")), chromedp.WaitReady(chromedp.CSS("#trend-chart polyline"))); err != nil {
		t.Fatalf("load %s: %v", page, err)
	}

	headline, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("headline")))
	if want := "292 people would fail to sign in to Aircall right now"; err != nil || strings.TrimSpace(headline) != want {
		t.Errorf("headline = %q, %v; want %q", headline, err, want)
	}
	change, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("change")))
	if err != nil || !strings.Contains(change, "fewer than the previous run") {
		t.Errorf("change = %q, %v; want fewer than the previous run", change, err)
	}

	sections, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("section.cause")].map(s => s.dataset.kind)`))
	wantOrder := []string{string(domain.FindingUPNMismatch), string(domain.FindingMailMissing), string(domain.FindingUserNotAssigned),
		string(domain.FindingUserDisabled), string(domain.FindingGuestUPN)}
	if err != nil || !slices.Equal(sections, wantOrder) {
		t.Errorf("cause sections = %q, %v; want %q", sections, err, wantOrder)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[...document.querySelectorAll("section.cause")].map(s => s.querySelectorAll("tr.person").length)`))
	if want := []int{50, 50, 37, 12, 9}; err != nil || !slices.Equal(rows, want) {
		t.Errorf("people rows per section = %v, %v; want %v", rows, err, want)
	}

	series, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]int](
		`Object.fromEntries([...document.querySelectorAll("#trend-chart polyline[data-kind]")].map(p => [p.dataset.kind, p.points.numberOfItems]))`))
	if err != nil || len(series) != len(wantOrder) {
		t.Errorf("chart series = %v, %v; want one per kind %q", series, err, wantOrder)
	}
	for _, k := range wantOrder {
		if series[k] != MaxRuns {
			t.Errorf("chart series %s has %d points, want %d", k, series[k], MaxRuns)
		}
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById("trend-chart").getBoundingClientRect().width`))
	if err != nil || width < 600 {
		t.Errorf("chart width = %v, %v; want it laid out across the page", width, err)
	}

	full, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// The README shows the first screens: every part of the page down to
	// the first rows of the first cause, not all 158 people.
	fold, err := chromedp.Run(ctx, chromedp.Evaluate[float64](
		`document.querySelector("section.cause tr.person:nth-child(8)").getBoundingClientRect().bottom + window.scrollY + 8`))
	if err != nil {
		t.Fatalf("find the first cause's rows: %v", err)
	}
	top, err := chromedp.Run(ctx, browser.ScreenshotTop(fold))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	saveScreenshots(t, full, top)

	checkPrinted(t, ctx, fold)

	if errs := problems.Errors(); len(errs) != 0 {
		t.Errorf("console errors or exceptions:\n%s", strings.Join(errs, "\n"))
	}
	for _, u := range problems.Requests() {
		if u != page {
			t.Errorf("the page requested %s: it must be self-contained", u)
		}
	}
}

// saveScreenshots writes the full page and its top under the test's temp
// dir, and the top to docs/report.png with -update-screenshot or to
// $REPORT_SCREENSHOT (relative to the repository root).
func saveScreenshots(t *testing.T, full, top []byte) {
	dir := t.TempDir()
	for name, png := range map[string][]byte{"report.png": full, "report-top.png": top} {
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots: %s (full page), %s (top)", filepath.Join(dir, "report.png"), filepath.Join(dir, "report-top.png"))
	dest := os.Getenv("REPORT_SCREENSHOT")
	if dest == "" && *updateScreenshot {
		dest = "docs/report.png"
	}
	if dest == "" {
		return
	}
	if !filepath.IsAbs(dest) {
		dest = filepath.Join("..", "..", dest) // the repository root, from handler/report
	}
	if err := os.WriteFile(dest, top, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot written to %s", dest)
}

// checkPrinted checks the print styles: printed, the page drops its
// download links and its dark header. It saves what print media shows.
func checkPrinted(t *testing.T, ctx context.Context, fold float64) {
	if err := chromedp.Do(ctx, browser.EmulateMedia("print")); err != nil {
		t.Fatal(err)
	}
	printed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[getComputedStyle(document.querySelector(".formats")).display, getComputedStyle(document.querySelector("header.top")).backgroundColor]`))
	if want := []string{"none", "rgb(255, 255, 255)"}; err != nil || !slices.Equal(printed, want) {
		t.Errorf("print styles: links display and header background = %q, %v; want %q", printed, err, want)
	}
	if shot, err := chromedp.Run(ctx, browser.ScreenshotTop(fold)); err == nil {
		p := filepath.Join(t.TempDir(), "report-print.png")
		_ = os.WriteFile(p, shot, 0o644)
		t.Logf("print media screenshot: %s", p)
	}
}
