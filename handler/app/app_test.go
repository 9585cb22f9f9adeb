package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/app"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/config"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

const (
	day       = 24 * time.Hour
	zdSecret  = "app-test-zendesk-secret-0123456789"
	fnKey     = "app-test-function-key-0123456789"
	masterKey = "app-test-master-key-0123456789"
)

// TestEveryFunctionThroughTheHost builds the app from a config.Config value
// (no environment) and serves all eight functions in this process through
// the host stand-in, against the Graph simulator, Azurite and the Service
// Bus peer: provision creates the app, the archive timer stores its
// metadata, the metadata function shows it, the audit (timer and HTTP)
// scans the tenant, a signed webhook gets its diagnosis with both app
// checks, and the queue receives the events.
func TestEveryFunctionThroughTheHost(t *testing.T) {
	blobConn := devtest.BlobConnectionString(t)
	peer := devtest.SharedPeer(t)
	queue := peer.NewQueue(t, devtest.QueueOptions{})
	sim, mismatch := simWithMismatch(t, graphsim.Options{Seed: 13, Users: 300, Mix: graphsim.Mix{UPNMismatch: 0.1, Disabled: 0.05, DirectAssigned: 0.5}})

	cfg := &config.Config{
		TenantID: sim.TenantID(), GraphBaseURL: sim.URL(), LoginAuthority: sim.URL(),
		AppDisplayName: "acme-saml@aircall", Assign: []string{mismatch.ID}, ClaimSource: domain.ClaimFromUPN,
		CertLifetime: 1095 * day, CertRotateBefore: 30 * day, CertExpiryWarn: []time.Duration{60 * day, 30 * day, 7 * day},
		BlobConnectionString: blobConn, BlobContainer: devtest.UniqueName("app-"),
		ServiceBusConnectionString: peer.ConnectionString, ServiceBusQueue: queue,
		AuditScope: "assigned", AuditTimeBudget: 8 * time.Minute, AuditShards: 4,
		WebhookSecrets: map[string][]byte{"zendesk": []byte(zdSecret)}, WebhookDetail: "full", LogLevel: "warn",
	}
	a := app.New(cfg, sim.Credential(), slog.New(slog.DiscardHandler), app.WithVersion("test", "app_test"))
	defer func() {
		if err := a.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	// The tenant's seeded app was adopted by an operator earlier
	// (`handler provision --adopt`): it is the pinned app.
	pinSeededApp(t, a, sim)
	ctx := context.Background()
	h, base := serveThroughHost(t, a)
	call := func(method, path, body string, header http.Header) (int, []byte) {
		t.Helper()
		resp, b, err := hostRequest(base, method, path, body, header)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	timer := func(name string) {
		t.Helper()
		ans, err := h.FireTimer(ctx, name, false, true)
		if err != nil || ans.HandlerStatus != http.StatusOK {
			t.Fatalf("timer %s: %v %+v", name, err, ans)
		}
	}

	// health: every function folder is routed, and nothing else.
	st, body := call(http.MethodGet, "/api/health", "", nil)
	var health map[string]any
	if err := json.Unmarshal(body, &health); st != 200 || err != nil || health["status"] != "ok" || health["version"] != "test" || len(health) != 2 {
		t.Fatalf("health must say status and version only: %d %s", st, body)
	}
	var folders []string
	for name := range h.Functions() {
		folders = append(folders, name)
	}
	sort.Strings(folders)
	if routed := a.Handler().Names(); strings.Join(folders, ",") != strings.Join(routed, ",") || len(folders) != 8 {
		t.Fatalf("function folders %v, routed %v", folders, routed)
	}

	// provision creates the app in the simulated tenant.
	st, body = call(http.MethodPost, "/api/provision", `{"dryRun":false}`, nil)
	if st != 200 || len(sim.Tenant().Apps()) != 1 {
		t.Fatalf("provision: %d %s", st, body)
	}
	appID := sim.Tenant().Apps()[0].AppID

	// metadata-archive (timer) and metadata (HTTP), with the app found by
	// provision's finder (no APP_ID).
	timer("metadata-archive")
	st, body = call(http.MethodGet, "/api/metadata", "", nil)
	var sum struct {
		MetadataURL string          `json:"metadataUrl"`
		Latest      json.RawMessage `json:"latest"`
	}
	if err := json.Unmarshal(body, &sum); st != 200 || err != nil || !strings.Contains(sum.MetadataURL, "appid="+appID) || string(sum.Latest) == "null" {
		t.Fatalf("metadata: %d %s", st, body)
	}

	// audit-run (HTTP) then the audit timer (the run is recent: nothing to do).
	st, body = call(http.MethodPost, "/api/audit", `{"full":true}`, nil)
	var rep struct {
		Complete  bool `json:"complete"`
		Published int  `json:"published"`
	}
	if err := json.Unmarshal(body, &rep); st != 200 || err != nil || !rep.Complete || rep.Published == 0 {
		t.Fatalf("audit-run: %d %s", st, body)
	}
	timer("audit")
	// A per-invocation scope (the CLI's --scope) leaves the shared job as it was.
	dry, err := a.Auditor().Run(ctx, audit.Request{DryRun: true, Full: true, Scope: domain.ScopeAll})
	if job, jerr := a.AuditJob(); err != nil || jerr != nil || dry.Scope != domain.ScopeAll || job.Scope != domain.ScopeAssigned {
		t.Fatalf("audit with scope all: %v, %v, report scope %v", err, jerr, dry)
	}

	// webhook: a signed Zendesk request about the mismatched user.
	wb := []byte(fmt.Sprintf(`{"ticket":{"id":"4711","requester":{"email":%q}}}`, mismatch.Mail))
	signed := webhook.Sign(webhook.Zendesk, []byte(zdSecret), time.Now(), wb)
	st, body = call(http.MethodPost, "/api/webhooks/zendesk", string(wb), signed)
	var diag struct {
		Verdict string `json:"verdict"`
		Facts   struct {
			AppChecks []struct{ Name, Status string } `json:"appChecks"`
		} `json:"facts"`
		Enqueued []string `json:"enqueued"`
	}
	if err := json.Unmarshal(body, &diag); st != 200 || err != nil || len(diag.Enqueued) == 0 {
		t.Fatalf("webhook: %d %s", st, body)
	}
	checks := map[string]string{}
	for _, c := range diag.Facts.AppChecks {
		checks[c.Name] = c.Status
	}
	if checks[domain.CheckAppDrift] != "ok" || checks[domain.CheckCertificate] != "ok" || len(checks) != 2 {
		t.Errorf("app checks %v: want appDrift and certificate, both ok", checks)
	}
	if st, _ := call(http.MethodPost, "/api/webhooks/zendesk", string(bytes.ToUpper(wb)), webhook.Sign(webhook.Zendesk, []byte(zdSecret), time.Now(), wb)); st != http.StatusUnauthorized {
		t.Errorf("tampered webhook: %d, want 401", st)
	}
	// The same delivery again: answered from the delivery log in Blob.
	if st, body := call(http.MethodPost, "/api/webhooks/zendesk", string(wb), signed); st != 200 || !strings.Contains(string(body), `"duplicate": true`) {
		t.Errorf("replayed webhook: %d %s, want the first answer with duplicate", st, body)
	}
	// A web page posting to the handler's port directly is refused.
	page, _ := http.NewRequest(http.MethodPost, h.HandlerURL()+"/provision", strings.NewReader(`{"Data":{},"Metadata":{}}`))
	page.Header.Set("Content-Type", "text/plain")
	page.Header.Set("Origin", "https://evil.example")
	if resp, err := http.DefaultClient.Do(page); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site post to the handler's port: %v %v, want 403", resp, err)
	} else {
		resp.Body.Close()
	}

	lines := devtest.EventLines(t, peer.ReceiveEvents(t, queue))
	var kinds = map[string]int{}
	for _, l := range lines {
		kinds[strings.SplitN(l, " ", 2)[0]]++
	}
	if kinds["user.upn-mismatch"] == 0 {
		t.Errorf("events received %v: want the audit's and the webhook's user.upn-mismatch", kinds)
	}
}

// TestArchiveNeedsTheApp: without a way to find the pinned app (no Graph,
// no Blob), the archive fails naming the setting to check; APP_ID alone is
// no longer enough (the app is resolved by its pin, docs/security.md).
func TestArchiveNeedsTheApp(t *testing.T) {
	a := app.New(&config.Config{TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"}, nil, slog.New(slog.DiscardHandler))
	_, err := a.Archiver().Run(context.Background(), nil)
	if !domain.IsCode(err, domain.EUNAVAILABLE) || !strings.Contains(err.Error(), "GRAPH_BASE_URL") {
		t.Fatalf("got %v, want EUNAVAILABLE naming GRAPH_BASE_URL", err)
	}
}

// TestNothingIsBuiltAtStart: New and the routes do no I/O, and Close with
// nothing built closes nothing.
func TestNothingIsBuiltAtStart(t *testing.T) {
	a := app.New(&config.Config{}, nil, slog.New(slog.DiscardHandler))
	if names := a.Handler().Names(); len(names) != 8 {
		t.Fatalf("routes %v", names)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestAdaptersBuiltFromRequestsCloseOnce: adapters built at once by
// concurrent requests are built once and closed once, at Close (the closers
// are appended from request goroutines and read at shutdown; run with -race).
func TestAdaptersBuiltFromRequestsCloseOnce(t *testing.T) {
	cfg := &config.Config{TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", BlobContainer: "aircall-sso",
		BlobConnectionString:       "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;",
		ServiceBusConnectionString: "Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=devenv;SharedAccessKey=aaaa;UseDevelopmentEmulator=true",
		ServiceBusQueue:            "aircall-sso-remediation"}
	a := app.New(cfg, nil, slog.New(slog.DiscardHandler))
	sinks := make(chan domain.EventSink, 8)
	for range 8 {
		go func() {
			s, err := a.EventSink()
			if err != nil {
				t.Error(err)
			}
			sinks <- s
		}()
	}
	first := <-sinks
	for range 7 {
		if s := <-sinks; s != first {
			t.Fatal("the event sink was built twice")
		}
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

// simWithMismatch starts a simulated tenant (closed with the test) and
// returns an enabled user of it whose UPN differs from their mail.
func simWithMismatch(t *testing.T, o graphsim.Options) (*graphsim.Server, graphsim.User) {
	t.Helper()
	sim := graphsim.New(o)
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var mismatch graphsim.User
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		if tr.Problems == graphsim.ProblemUPNMismatch && tr.User.AccountEnabled {
			mismatch = tr.User
			return false
		}
		return true
	})
	if mismatch.ID == "" {
		t.Fatal("the simulated tenant has no enabled user whose UPN differs from their mail")
	}
	return sim, mismatch
}
