package functions_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

// TestWebhookReplayAnsweredOnce: a replayed delivery (same signature), a
// sender's retry (same delivery id, fresh signature) and a replay with the
// id header changed (same signature) get the first answer with "duplicate":
// true, with no new lookup and no event; a new delivery is diagnosed.
func TestWebhookReplayAnsweredOnce(t *testing.T) {
	dir := &countingDir{UserDirectory: annDirectory()}
	r := newRigWith(dir)
	fx := fixtures[webhook.Zendesk]
	h := webhook.Sign(webhook.Zendesk, secrets[webhook.Zendesk], now, []byte(fx.body))
	h.Set(webhook.HeaderZendeskInvocationID, "8350205582")
	st, first := r.post(t, "zendesk", h, []byte(fx.body))
	if st != 200 || strings.Contains(string(first), "duplicate") {
		t.Fatalf("first delivery %d: %s", st, first)
	}
	retry := webhook.Sign(webhook.Zendesk, secrets[webhook.Zendesk], now.Add(40*time.Second), []byte(fx.body))
	retry.Set(webhook.HeaderZendeskInvocationID, "8350205582")
	forged := h.Clone()
	forged.Set(webhook.HeaderZendeskInvocationID, "1")
	for name, hdr := range map[string]http.Header{"replay": h, "retry": retry, "replay with another id": forged} {
		st, body := r.post(t, "zendesk", hdr, []byte(fx.body))
		var a functions.WebhookAnswer
		if err := json.Unmarshal(body, &a); st != 200 || err != nil || !a.Duplicate || a.Verdict != diagnose.VerdictBlocked || len(a.Enqueued) != 1 {
			t.Errorf("%s: %d %s, want the first verdict with duplicate", name, st, body)
		}
	}
	if dir.calls() != 1 || len(r.events.Events()) != 1 || r.events.Duplicates() != 0 {
		t.Fatalf("%d lookups, events %+v (%d repeats): want one lookup and one event sent once", dir.calls(), r.events.Events(), r.events.Duplicates())
	}
	other := webhook.Sign(webhook.Zendesk, secrets[webhook.Zendesk], now.Add(time.Minute), []byte(fx.body))
	other.Set(webhook.HeaderZendeskInvocationID, "8350205583")
	if st, body := r.post(t, "zendesk", other, []byte(fx.body)); st != 200 || strings.Contains(string(body), "duplicate") || dir.calls() != 2 {
		t.Fatalf("a new delivery: %d %s (%d lookups)", st, body, dir.calls())
	}
}

// TestWebhookFailedDeliveryRunsAgain: a delivery whose diagnosis failed is
// forgotten, so the sender's retry is diagnosed.
func TestWebhookFailedDeliveryRunsAgain(t *testing.T) {
	dir := &countingDir{UserDirectory: annDirectory(), fail: domain.Errorf(domain.EUNAVAILABLE, "graph down")}
	r := newRigWith(dir)
	fx := fixtures[webhook.Jira]
	h := webhook.Sign(webhook.Jira, secrets[webhook.Jira], now, []byte(fx.body))
	if st, _ := r.post(t, "jira", h, []byte(fx.body)); st != 503 {
		t.Fatalf("status %d, want 503", st)
	}
	dir.setFail(nil)
	if st, body := r.post(t, "jira", h, []byte(fx.body)); st != 200 || strings.Contains(string(body), "duplicate") || dir.calls() != 2 {
		t.Fatalf("retry: %d %s (%d lookups)", st, body, dir.calls())
	}
	if r.deliveries.Len() != 1 {
		t.Fatalf("%d delivery records, want 1 (Jira sent no identifier: the signature)", r.deliveries.Len())
	}
}

// TestWebhookRepeatWhileBusy: a repeat of a delivery being handled gets 409
// (the sender retries); one left unfinished by a crashed handler is taken
// over after webhook.PendingTimeout.
func TestWebhookRepeatWhileBusy(t *testing.T) {
	r := newRig(t)
	fx := fixtures[webhook.Generic]
	h := webhook.Sign(webhook.Generic, secrets[webhook.Generic], now, []byte(fx.body))
	keys := webhook.DeliveryKeys(webhook.Generic, h)
	if _, _, ok, err := r.deliveries.Claim(context.Background(), keys[0], domain.Delivery{At: now.Add(-time.Minute)}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if st, body := r.post(t, "generic", h, []byte(fx.body)); st != http.StatusConflict {
		t.Fatalf("repeat while busy: %d %s, want 409", st, body)
	}
	_ = r.deliveries.Forget(context.Background(), keys[0])
	if _, _, ok, err := r.deliveries.Claim(context.Background(), keys[0], domain.Delivery{At: now.Add(-webhook.PendingTimeout - time.Second)}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if st, body := r.post(t, "generic", h, []byte(fx.body)); st != 200 || len(r.events.Events()) != 1 {
		t.Fatalf("after a crashed handler's record: %d %s", st, body)
	}
}

// countingDir counts lookups and can fail them.
type countingDir struct {
	domain.UserDirectory
	mu   sync.Mutex
	n    int
	fail error
}

func (d *countingDir) FindUser(ctx context.Context, key string) (domain.User, domain.Assignment, error) {
	d.mu.Lock()
	d.n++
	fail := d.fail
	d.mu.Unlock()
	if fail != nil {
		return domain.User{}, domain.Assignment{}, fail
	}
	return d.UserDirectory.FindUser(ctx, key)
}

func (d *countingDir) calls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

func (d *countingDir) setFail(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fail = err
}

// stalledDir answers no lookup until the caller gives up.
type stalledDir struct{ domain.UserDirectory }

func (stalledDir) FindUser(ctx context.Context, key string) (domain.User, domain.Assignment, error) {
	<-ctx.Done()
	return domain.User{}, domain.Assignment{}, domain.Wrap(domain.EUNAVAILABLE, ctx.Err(), "graph: GET /v1.0/users?$filter=…: cancelled or timed out")
}

// TestWebhookDeadline: a directory that never answers costs the webhook its
// deadline, not the host's: the sender gets 503 (no Graph path in it) and
// its retry is diagnosed afresh.
func TestWebhookDeadline(t *testing.T) {
	r := newRigWith(stalledDir{annDirectory()}, func(o *functions.WebhookOptions) { o.Deadline = 50 * time.Millisecond })
	fx := fixtures[webhook.Generic]
	h := webhook.Sign(webhook.Generic, secrets[webhook.Generic], now, []byte(fx.body))
	st, body := r.post(t, "generic", h, []byte(fx.body))
	if st != http.StatusServiceUnavailable || strings.Contains(string(body), "/v1.0") || strings.Contains(string(body), "graph:") {
		t.Fatalf("status %d %s, want 503 without Graph's details", st, body)
	}
	if !strings.Contains(r.logs.String(), "/v1.0/users") {
		t.Errorf("the logs lost the Graph call that failed:\n%s", r.logs)
	}
	if r.deliveries.Len() != 0 {
		t.Errorf("a failed delivery is still recorded (%d records): the retry would be refused", r.deliveries.Len())
	}
}
