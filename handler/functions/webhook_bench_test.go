package functions_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

// discard is an EventSink that keeps nothing.
type discard struct{}

func (discard) Publish(context.Context, []domain.Event) error { return nil }

// BenchmarkWebhook measures the handler's own work on the webhook path —
// envelope decode, signature check, extraction, diagnosis against an
// in-memory directory (no latency), event encoding, answer encoding — so the
// lead can report the overhead added to Graph's latency. It reports p50/p99
// per request as well as the mean.
//
//	go test ./handler/functions -run '^$' -bench Webhook -benchmem
func BenchmarkWebhook(b *testing.B) {
	for _, src := range webhook.Sources {
		b.Run(string(src), func(b *testing.B) {
			dir := inmem.NewDirectory()
			dir.PutUser(domain.User{ID: "a", UserPrincipalName: "ann@contoso.com", Mail: "ann.smith@contoso.com", AccountEnabled: true, UserType: "Member"})
			dir.AssignUser("a")
			r := newRigWith(dir)
			// Replace the recording sink: a benchmark must not grow memory.
			r.router = funchost.NewRouter(discardLogger())
			clock := func() time.Time { return now }
			r.router.Handle("webhook", functions.Webhook(functions.WebhookOptions{
				Verifier: &webhook.Verifier{Secrets: secrets, Now: clock},
				Diagnose: &diagnose.Job{Directory: dir, Events: discard{}, Now: clock},
			}))
			body := []byte(fixtures[src].body)
			h := webhook.Sign(src, secrets[src], now, body)
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				if st, ans := r.post(b, string(src), h, body); st != http.StatusOK {
					b.Fatalf("status %d: %s", st, ans)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkVerifyExtract is the pure part alone: signature and extraction.
func BenchmarkVerifyExtract(b *testing.B) {
	v := &webhook.Verifier{Secrets: secrets, Now: func() time.Time { return now }}
	body := []byte(fixtures[webhook.Zendesk].body)
	h := webhook.Sign(webhook.Zendesk, secrets[webhook.Zendesk], now, body)
	b.ReportAllocs()
	for range b.N {
		if err := v.Verify(webhook.Zendesk, h, body); err != nil {
			b.Fatal(err)
		}
		if _, err := webhook.Extract(webhook.Zendesk, body, webhook.ExtractOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWebhookGraphLatency runs the same path against a directory that
// answers each call after 5 ms, as the Graph simulator would. A diagnosis
// makes two sequential directory round trips (find the user, then their
// assignment; the claim configuration and app checks are cached), so it
// reports the overhead as p99 − 2 × latency.
func BenchmarkWebhookGraphLatency(b *testing.B) {
	const latency = 5 * time.Millisecond
	dir := inmem.NewDirectory()
	dir.PutUser(domain.User{ID: "a", UserPrincipalName: "ann@contoso.com", Mail: "ann.smith@contoso.com", AccountEnabled: true, UserType: "Member"})
	dir.AssignUser("a")
	dir.Latency = latency
	r := newRigWith(dir)
	r.router = funchost.NewRouter(discardLogger())
	clock := func() time.Time { return now }
	r.router.Handle("webhook", functions.Webhook(functions.WebhookOptions{
		Verifier: &webhook.Verifier{Secrets: secrets, Now: clock},
		Diagnose: &diagnose.Job{Directory: dir, Events: discard{}, Now: clock},
	}))
	body := []byte(fixtures[webhook.Generic].body)
	h := webhook.Sign(webhook.Generic, secrets[webhook.Generic], now, body)
	r.post(b, "generic", h, body) // warm the app-facts cache
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if st, ans := r.post(b, "generic", h, body); st != http.StatusOK {
			b.Fatalf("status %d: %s", st, ans)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	p99 := lat[len(lat)*99/100]
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds()), "p90-µs")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
	b.ReportMetric(float64((p99 - 2*latency).Microseconds()), "overhead-p99-µs")
}
