package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/devtest"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/app"
	"github.com/identity-ops/aircall-entra-sso/handler/config"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

// TestConcurrentReplayedWebhooks sends one signed Jira delivery (Jira signs
// no timestamp: the delivery log is its only replay guard) many times at
// once through the host stand-in, with the delivery log in Blob (Azurite):
// exactly one diagnosis (one Graph lookup of the user), one set of events
// on the queue, and every other answer is the first one marked duplicate or
// a 409 while the first was still running. `make resilience` sends 1,000
// (RESILIENCE_LONG=1); `make test` 100.
func TestConcurrentReplayedWebhooks(t *testing.T) {
	n := 100
	if os.Getenv("RESILIENCE_LONG") != "" {
		n = 1000
	}
	blobConn := devtest.BlobConnectionString(t)
	peer := devtest.SharedPeer(t)
	queue := peer.NewQueue(t, devtest.QueueOptions{})
	sim, user := simWithMismatch(t, graphsim.Options{Seed: 17, Users: 50, Mix: graphsim.Mix{UPNMismatch: 0.3, DirectAssigned: 1}})
	// Count the user lookups (GET /v1.0/users?$filter=userPrincipalName eq …).
	var lookups atomic.Int64
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1.0/users" && strings.Contains(r.URL.Query().Get("$filter"), "userPrincipalName eq") {
			lookups.Add(1)
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	defer graph.Close()

	const jiraSecret = "replay-test-jira-secret-0123456789"
	cfg := &config.Config{
		TenantID: sim.TenantID(), GraphBaseURL: graph.URL, LoginAuthority: sim.URL(),
		AppDisplayName: "acme-saml@aircall", ClaimSource: domain.ClaimFromUPN,
		CertLifetime: 1095 * day, CertRotateBefore: 30 * day, CertExpiryWarn: []time.Duration{30 * day},
		BlobConnectionString: blobConn, BlobContainer: devtest.UniqueName("replay-"),
		ServiceBusConnectionString: peer.ConnectionString, ServiceBusQueue: queue,
		AuditScope: "assigned", AuditTimeBudget: time.Minute, AuditShards: 1,
		WebhookSecrets: map[string][]byte{"jira": []byte(jiraSecret)}, WebhookDetail: "summary", LogLevel: "warn",
	}
	a := app.New(cfg, sim.Credential(), slog.New(slog.DiscardHandler), app.WithVersion("test", "replay_test"))
	defer a.Close(context.Background())
	// The tenant's seeded app is the pinned app (as in TestEveryFunctionThroughTheHost).
	pinSeededApp(t, a, sim)
	_, base := serveThroughHost(t, a)

	body := []byte(fmt.Sprintf(`{"webhookEvent":"jira:issue_created","issue":{"key":"HELP-1","fields":{"reporter":{"emailAddress":%q}}}}`, user.UserPrincipalName))
	signed := webhook.Sign(webhook.Jira, []byte(jiraSecret), time.Now(), body)
	send := func() (int, answer) {
		resp, b, err := hostRequest(base, http.MethodPost, "/api/webhooks/jira", string(body), signed)
		if err != nil {
			t.Error(err)
			return 0, answer{}
		}
		var a answer
		_ = json.Unmarshal(b, &a)
		return resp.StatusCode, a
	}

	var (
		mu       sync.Mutex
		statuses = map[string]int{}
		firsts   []answer
		wg       sync.WaitGroup
		work     = make(chan struct{})
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				st, a := send()
				mu.Lock()
				switch {
				case st == http.StatusOK && a.Duplicate:
					statuses["duplicate"]++
				case st == http.StatusOK:
					statuses["first"]++
					firsts = append(firsts, a)
				default:
					statuses[fmt.Sprint(st)]++
				}
				mu.Unlock()
			}
		}()
	}
	for range n {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	if statuses["first"] != 1 || statuses["first"]+statuses["duplicate"]+statuses["409"] != n {
		t.Fatalf("answers %v: want 1 first answer, the rest duplicates or 409", statuses)
	}
	if st, a := send(); st != 200 || !a.Duplicate || a.Verdict != firsts[0].Verdict {
		t.Fatalf("a replay after the burst: %d %+v", st, a)
	}
	if got := lookups.Load(); got != 1 {
		t.Fatalf("%d Graph lookups of the user, want 1 diagnosis", got)
	}
	var ids []string
	for _, e := range peer.ReceiveEvents(t, queue) {
		ids = append(ids, e.ID)
	}
	sort.Strings(ids)
	want := append([]string(nil), firsts[0].Enqueued...)
	sort.Strings(want)
	if len(want) == 0 || strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("queue holds %v, want the first answer's events %v once", ids, want)
	}
	t.Logf("%d deliveries: %v", n+1, statuses)
}

type answer struct {
	Verdict   string   `json:"verdict"`
	Enqueued  []string `json:"enqueued"`
	Duplicate bool     `json:"duplicate"`
}
