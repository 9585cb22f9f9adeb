package functions_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook/webhooktest"
)

var (
	now     = webhooktest.Now()
	secrets = webhooktest.Secrets()
	// fixtures are each source's documented payload for ann, whose UPN
	// differs from her mail.
	fixtures = map[webhook.Source]struct{ body, ticket string }{
		webhook.Zendesk:    {`{"ticket":{"id":"123","requester":{"email":"ann@contoso.com"}}}`, "ZD-123"},
		webhook.Jira:       {`{"timestamp":1795856400000,"webhookEvent":"jira:issue_created","issue":{"id":"10002","key":"HELP-42","fields":{"summary":"Cannot log in to Aircall","reporter":{"accountId":"5b10","emailAddress":"ann.smith@contoso.com"}}}}`, "HELP-42"},
		webhook.ServiceNow: {`{"number":"INC0010001","sys_id":"46d44a5d","short_description":"Aircall","caller_email":"ann@contoso.com"}`, "INC0010001"},
		webhook.Generic:    {`{"user":"ann@contoso.com","ticket":"OPS-7"}`, "OPS-7"},
	}
)

// rig is the webhook function behind funchost's router, as the host calls it.
type rig struct {
	router     *funchost.Router
	events     *inmem.EventSink
	logs       *bytes.Buffer
	deliveries *inmem.Deliveries
}

func newRig(t testing.TB, opts ...func(*functions.WebhookOptions)) *rig {
	return newRigWith(annDirectory(), opts...)
}

// annDirectory holds ann, assigned, whose UPN differs from her mail, and an
// app whose claim comes from mail.
func annDirectory() *inmem.Directory {
	dir := inmem.NewDirectory()
	dir.PutUser(domain.User{ID: "a", UserPrincipalName: "ann@contoso.com", Mail: "ann.smith@contoso.com", AccountEnabled: true, UserType: "Member"})
	dir.AssignUser("a")
	dir.SetEmailClaim(domain.ClaimConfig{Source: domain.ClaimFromMail, Origin: domain.ClaimOriginDefault})
	return dir
}

func newRigWith(dir domain.UserDirectory, opts ...func(*functions.WebhookOptions)) *rig {
	r := &rig{events: inmem.NewEventSink(), logs: &bytes.Buffer{}, deliveries: inmem.NewDeliveries(0)}
	log := slog.New(slog.NewJSONHandler(&lockedWriter{w: r.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.router = funchost.NewRouter(log)
	clock := func() time.Time { return now }
	o := functions.WebhookOptions{
		Verifier:   &webhook.Verifier{Secrets: secrets, Now: clock},
		Diagnose:   &diagnose.Job{Directory: dir, Events: r.events, Now: clock},
		Deliveries: r.deliveries, Now: clock,
	}
	for _, f := range opts {
		f(&o)
	}
	r.router.Handle("webhook", functions.Webhook(o))
	return r
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// post sends the caller's request through the host envelope and returns the
// caller's status and body (Outputs.res).
func (r *rig) post(t testing.TB, source string, h http.Header, body []byte) (int, []byte) {
	t.Helper()
	env := map[string]any{
		"Data": map[string]any{"req": map[string]any{
			"Url": "https://app.azurewebsites.net/api/webhooks/" + source, "Method": "POST", "Query": map[string]string{},
			"Headers": h, "Params": map[string]string{"source": source}, "Identities": []any{}, "Body": string(body),
		}},
		"Metadata": map[string]any{"sys": map[string]any{"MethodName": "webhook", "UtcNow": now.Format(time.RFC3339Nano), "RandGuid": "x"}},
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:7071/webhook", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Azure-Functions-InvocationId", "inv-1")
	w := httptest.NewRecorder()
	r.router.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("the handler answered the host %d: %s", w.Code, w.Body)
	}
	var ans struct {
		Outputs struct {
			Res struct {
				StatusCode int    `json:"statusCode"`
				Body       string `json:"body"`
			} `json:"res"`
		} `json:"Outputs"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil {
		t.Fatalf("answer %s: %v", w.Body, err)
	}
	return ans.Outputs.Res.StatusCode, []byte(ans.Outputs.Res.Body)
}

// assertNoProof fails when a log line holds a secret or a signature value.
func (r *rig) assertNoProof(t *testing.T, h http.Header) {
	t.Helper()
	logs := r.logs.String()
	for src, s := range secrets {
		if strings.Contains(logs, string(s)) {
			t.Errorf("the %s secret is in the logs:\n%s", src, logs)
		}
	}
	for _, name := range []string{webhook.HeaderZendeskSignature, webhook.HeaderHubSignature, webhook.HeaderSignature256} {
		if v := h.Get(name); v != "" {
			mac := strings.TrimPrefix(v, "sha256=")
			if strings.Contains(logs, mac) || strings.Contains(logs, v) {
				t.Errorf("the %s value is in the logs:\n%s", name, logs)
			}
		}
	}
}

func TestWebhookDiagnosesEachSource(t *testing.T) {
	for _, src := range webhook.Sources {
		t.Run(string(src), func(t *testing.T) {
			r := newRig(t)
			fx := fixtures[src]
			h := webhook.Sign(src, secrets[src], now.Add(-30*time.Second), []byte(fx.body))
			status, body := r.post(t, string(src), h, []byte(fx.body))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			var d functions.WebhookAnswer
			if err := json.Unmarshal(body, &d); err != nil {
				t.Fatal(err)
			}
			if d.Verdict != diagnose.VerdictBlocked || d.Ticket != fx.ticket || len(d.Enqueued) != 1 || d.Duplicate ||
				!strings.Contains(d.Text, "user.userprincipalname") || !strings.Contains(d.Text, "ann.smith@contoso.com") {
				t.Fatalf("answer = %s", body)
			}
			assertSummaryOnly(t, body)
			if evs := r.events.Events(); len(evs) != 1 || evs[0].Subject != "ticket/"+fx.ticket+"/user/ann@contoso.com" {
				t.Fatalf("events = %+v", evs)
			}
			if !strings.Contains(r.logs.String(), `"msg":"webhook diagnosed"`) || !strings.Contains(r.logs.String(), `"invocationId":"inv-1"`) {
				t.Errorf("no decision logged with the invocation id:\n%s", r.logs)
			}
			r.assertNoProof(t, h)
		})
	}
}

// assertSummaryOnly: by default (WEBHOOK_DETAIL=summary) a sender learns the
// verdict, the text and the enqueued ids, nothing of the directory's insides.
func assertSummaryOnly(t *testing.T, body []byte) {
	t.Helper()
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		t.Fatal(err)
	}
	for k := range keys {
		switch k {
		case "verdict", "ticket", "text", "enqueued", "duplicate":
		default:
			t.Errorf("the summary answer carries %q: %s", k, body)
		}
	}
	for _, inner := range []string{`"a"`, "objectId", "facts", "findings", "assignment"} {
		if strings.Contains(string(body), inner) {
			t.Errorf("the summary answer shows %s: %s", inner, body)
		}
	}
}

// TestWebhookFullDetail: WEBHOOK_DETAIL=full answers with the whole diagnosis.
func TestWebhookFullDetail(t *testing.T) {
	r := newRig(t, func(o *functions.WebhookOptions) { o.Full = true })
	fx := fixtures[webhook.Generic]
	status, body := r.post(t, "generic", webhook.Sign(webhook.Generic, secrets[webhook.Generic], now, []byte(fx.body)), []byte(fx.body))
	var d diagnose.Diagnosis
	if err := json.Unmarshal(body, &d); status != 200 || err != nil || d.Facts.ObjectID != "a" || d.Facts.EmailClaim != "ann.smith@contoso.com" {
		t.Fatalf("full answer %d: %s", status, body)
	}
}

func TestWebhookRefusals(t *testing.T) {
	type tc struct {
		name, source string
		header       func(src webhook.Source, body []byte) http.Header
		body         func(string) []byte
		status       int
		field        string // named in the error answer
	}
	signed := func(src webhook.Source, body []byte) http.Header { return webhook.Sign(src, secrets[src], now, body) }
	same := func(b string) []byte { return []byte(b) }
	var cases []tc
	for _, src := range webhook.Sources {
		sig := map[webhook.Source]string{webhook.Zendesk: webhook.HeaderZendeskSignature, webhook.Jira: webhook.HeaderHubSignature,
			webhook.ServiceNow: webhook.HeaderSignature256, webhook.Generic: webhook.HeaderSignature256}[src]
		cases = append(cases,
			tc{"tampered body", string(src), func(s webhook.Source, b []byte) http.Header {
				return signed(s, bytes.Replace(b, []byte("ann"), []byte("bob"), 1))
			}, same, 401, ""},
			tc{"wrong secret", string(src), func(s webhook.Source, b []byte) http.Header {
				return webhook.Sign(s, []byte("someone-elses-secret-123"), now, b)
			}, same, 401, ""},
			tc{"missing signature", string(src), func(s webhook.Source, b []byte) http.Header {
				h := signed(s, b)
				h.Del(sig)
				return h
			}, same, 401, sig},
			tc{"wrong content type", string(src), func(s webhook.Source, b []byte) http.Header {
				h := signed(s, b)
				h.Set("Content-Type", "application/x-www-form-urlencoded")
				return h
			}, same, 415, ""},
			tc{"body over 256 KiB", string(src), signed, func(b string) []byte {
				return []byte(strings.Replace(b, "{", `{"pad":"`+strings.Repeat("x", webhook.MaxBody)+`",`, 1))
			}, 413, ""},
		)
		if src != webhook.Jira {
			cases = append(cases, tc{"stale timestamp", string(src), func(s webhook.Source, b []byte) http.Header {
				return webhook.Sign(s, secrets[s], now.Add(-10*time.Minute), b)
			}, same, 401, map[webhook.Source]string{webhook.Zendesk: webhook.HeaderZendeskTimestamp, webhook.ServiceNow: webhook.HeaderSignatureTimestamp, webhook.Generic: webhook.HeaderSignatureTimestamp}[src]})
		}
	}
	cases = append(cases,
		tc{"signed but unreadable payload", "generic", signed, func(string) []byte { return []byte(`{"user":"ann@contoso.com"}`) }, 400, "ticket"},
		tc{"signed, jira reporter email hidden", "jira", signed, func(string) []byte {
			return []byte(`{"issue":{"key":"HELP-1","fields":{"reporter":{"accountId":"x"}}}}`)
		}, 400, "issue.fields.reporter.emailAddress"},
		tc{"unknown source", "github", func(webhook.Source, []byte) http.Header { return http.Header{"Content-Type": {"application/json"}} }, same, 404, ""},
	)
	for _, c := range cases {
		t.Run(c.source+"/"+c.name, func(t *testing.T) {
			r := newRig(t)
			src := webhook.Source(c.source)
			body := c.body(fixtures[src].body)
			if len(body) == 0 {
				body = []byte(fixtures[webhook.Generic].body)
			}
			h := c.header(src, []byte(fixtures[src].body))
			if c.name == "body over 256 KiB" || strings.HasPrefix(c.name, "signed") {
				h = c.header(src, body) // correctly signed: only the size or payload is wrong
			}
			status, ans := r.post(t, c.source, h, body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, ans)
			}
			var e struct {
				Error struct{ Code, Message, Field string } `json:"error"`
			}
			if err := json.Unmarshal(ans, &e); err != nil || e.Error.Message == "" {
				t.Fatalf("error answer %s: %v", ans, err)
			}
			if c.field != "" && e.Error.Field != c.field {
				t.Errorf("answer names field %q, want %q: %s", e.Error.Field, c.field, ans)
			}
			if n := len(r.events.Events()); n != 0 {
				t.Errorf("%d events enqueued for a refused request", n)
			}
			if strings.Contains(string(ans), "secret-0123456789") {
				t.Errorf("answer holds a secret: %s", ans)
			}
			r.assertNoProof(t, h)
		})
	}
}

// An unknown user is a diagnosis (200), not an error, and is enqueued with
// the ticket.
func TestWebhookUnknownUser(t *testing.T) {
	r := newRig(t)
	body := []byte(`{"user":"ghost@contoso.com","ticket":"OPS-8"}`)
	status, ans := r.post(t, "generic", webhook.Sign(webhook.Generic, secrets[webhook.Generic], now, body), body)
	if status != 200 || !strings.Contains(string(ans), `"verdict": "not-found"`) || len(r.events.Events()) != 1 {
		t.Fatalf("status %d, %d events: %s", status, len(r.events.Events()), ans)
	}
}

// A refusal is logged (by funchost) with the reason a person can act on.
func TestWebhookRefusalIsLogged(t *testing.T) {
	r := newRig(t)
	body := []byte(fixtures[webhook.Jira].body)
	h := webhook.Sign(webhook.Jira, []byte("someone-elses-secret-123"), now, body)
	if status, _ := r.post(t, "jira", h, body); status != 401 {
		t.Fatalf("status %d", status)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, `"code":"unauthorized"`) || !strings.Contains(logs, "WEBHOOK_SECRET_JIRA") {
		t.Fatalf("refusal not logged with its reason:\n%s", logs)
	}
	r.assertNoProof(t, h)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
