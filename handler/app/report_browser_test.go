package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/identity-ops/aircall-entra-sso/devenv/browser"
	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/app"
	"github.com/identity-ops/aircall-entra-sso/handler/config"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/report"
)

// TestReportPageThroughTheHost opens GET /api/report in headless Chromium,
// served by the real report function through the host stand-in with the
// function key, after two real audit runs of a simulated tenant (Azurite,
// the Service Bus peer, the Graph simulator). It checks what a reader sees
// against the function's own JSON: the headline, one section per cause in
// order, one chart series per kind with a point per run, the page's
// Content-Security-Policy, no console error and no request beyond the page;
// it saves a screenshot under the test's temp dir.
func TestReportPageThroughTheHost(t *testing.T) {
	blobConn := devtest.BlobConnectionString(t)
	peer := devtest.SharedPeer(t)
	sim := graphsim.Start(t, graphsim.Options{Seed: 21, Users: 400,
		Mix: graphsim.Mix{UPNMismatch: 0.1, MailMissing: 0.05, Guests: 0.05, Disabled: 0.05, DirectAssigned: 0.6}})
	cfg := &config.Config{
		TenantID: sim.TenantID(), GraphBaseURL: sim.URL(), LoginAuthority: sim.URL(),
		AppDisplayName: "acme-saml@aircall", ClaimSource: domain.ClaimFromUPN,
		CertLifetime: 1095 * day, CertRotateBefore: 30 * day, CertExpiryWarn: []time.Duration{30 * day},
		BlobConnectionString: blobConn, BlobContainer: devtest.UniqueName("report-"),
		ServiceBusConnectionString: peer.ConnectionString, ServiceBusQueue: peer.NewQueue(t, devtest.QueueOptions{}),
		AuditScope: "all", AuditTimeBudget: 8 * time.Minute, AuditShards: 2, LogLevel: "warn",
	}
	a := app.New(cfg, sim.Credential(), slog.New(slog.DiscardHandler))
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	_, base := serveThroughHost(t, a)
	get := func(method, path, body string) (*http.Response, []byte) {
		t.Helper()
		resp, b, err := hostRequest(base, method, path, body, nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}

	if resp, b := get(http.MethodGet, "/api/report", ""); resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "no audit run has completed yet") {
		t.Fatalf("before the first audit: %d %s; want 404 saying no audit completed", resp.StatusCode, b)
	}
	for _, body := range []string{`{"full":true}`, `{}`} {
		if resp, b := get(http.MethodPost, "/api/audit", body); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /api/audit %s: %d %s", body, resp.StatusCode, b)
		}
	}
	if resp, b := get(http.MethodGet, "/api/report?run=..%2F..%2Fcheckpoints", ""); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"field": "run"`) {
		t.Errorf("hostile ?run=: %d %s; want 400 naming the field", resp.StatusCode, b)
	}
	resp, b := get(http.MethodGet, "/api/report?format=json", "")
	var m report.Model
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &m) != nil || len(m.History) != 2 || len(m.Causes) < 3 {
		t.Fatalf("json: %d %s; want two runs and the tenant's causes", resp.StatusCode, b)
	}
	if resp, _ := get(http.MethodGet, "/api/report", ""); resp.Header.Get("Content-Security-Policy") != report.ContentSecurityPolicy {
		t.Errorf("page CSP = %q, want %q", resp.Header.Get("Content-Security-Policy"), report.ContentSecurityPolicy)
	}

	ctx := browser.Start(t, 3*time.Minute)
	problems := browser.Watch(t, ctx)
	page := base + "/api/report?code=" + fnKey
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("headline")),
		chromedp.WaitReady(chromedp.CSS("#trend-chart polyline"))); err != nil {
		t.Fatalf("load %s: %v", page, err)
	}
	headline, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("headline")))
	want := strconv.Itoa(m.Headline.People) + " people would fail to sign in to Aircall right now"
	if err != nil || !strings.HasSuffix(strings.TrimSpace(headline), want) {
		t.Errorf("headline = %q, %v; want it to end %q", headline, err, want)
	}
	var wantKinds []string
	for _, c := range m.Causes {
		wantKinds = append(wantKinds, string(c.Kind))
	}
	sections, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("section.cause")].map(s => s.dataset.kind)`))
	if err != nil || !slices.Equal(sections, wantKinds) {
		t.Errorf("cause sections = %q, %v; want %q", sections, err, wantKinds)
	}
	series, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]int](
		`Object.fromEntries([...document.querySelectorAll("#trend-chart polyline[data-kind]")].map(p => [p.dataset.kind, p.points.numberOfItems]))`))
	if err != nil || len(series) < len(wantKinds) {
		t.Errorf("chart series = %v, %v; want one per kind, at least %q", series, err, wantKinds)
	}
	for k, n := range series {
		if n != len(m.History) {
			t.Errorf("chart series %s has %d points, want one per run (%d)", k, n, len(m.History))
		}
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(t.TempDir(), "report.png")
	if err := os.WriteFile(p, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
	if errs := problems.Errors(); len(errs) != 0 {
		t.Errorf("console errors or exceptions:\n%s", strings.Join(errs, "\n"))
	}
	for _, u := range problems.Requests() {
		if u != page {
			t.Errorf("the page requested %s: it must be self-contained", u)
		}
	}
}
