package webhook_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook/webhooktest"
)

var (
	now     = webhooktest.Now()
	secrets = webhooktest.Secrets()
	bodies  = map[webhook.Source]string{
		webhook.Zendesk:    `{"ticket":{"id":"123","requester":{"email":"ann@contoso.com"}}}`,
		webhook.Jira:       `{"webhookEvent":"jira:issue_created","issue":{"key":"HELP-42","fields":{"reporter":{"emailAddress":"ann@contoso.com"}}}}`,
		webhook.ServiceNow: `{"number":"INC0010001","caller_email":"ann@contoso.com"}`,
		webhook.Generic:    `{"user":"ann@contoso.com","ticket":"T-1"}`,
	}
)

func verifier() *webhook.Verifier {
	return &webhook.Verifier{Secrets: secrets, Now: func() time.Time { return now }}
}

// signatureHeaders names the proof headers of each source.
var signatureHeaders = map[webhook.Source][]string{
	webhook.Zendesk:    {webhook.HeaderZendeskSignature, webhook.HeaderZendeskTimestamp},
	webhook.Jira:       {webhook.HeaderHubSignature},
	webhook.ServiceNow: {webhook.HeaderSignature256, webhook.HeaderSignatureTimestamp},
	webhook.Generic:    {webhook.HeaderSignature256, webhook.HeaderSignatureTimestamp},
}

func TestVerify(t *testing.T) {
	for _, src := range webhook.Sources {
		body := []byte(bodies[src])
		hasTimestamp := len(signatureHeaders[src]) == 2
		tests := []struct {
			name  string
			body  []byte
			hdr   func() http.Header
			want  domain.Code
			field string
		}{
			{"valid", body, func() http.Header { return webhook.Sign(src, secrets[src], now, body) }, "", ""},
			{"valid, sent 4 minutes ago", body, func() http.Header { return webhook.Sign(src, secrets[src], now.Add(-4*time.Minute), body) }, "", ""},
			{"charset parameter", body, func() http.Header {
				h := webhook.Sign(src, secrets[src], now, body)
				h.Set("Content-Type", "application/json; charset=utf-8")
				return h
			}, "", ""},
			{"tampered body", []byte(strings.Replace(string(body), "ann@", "eve@", 1)), func() http.Header { return webhook.Sign(src, secrets[src], now, body) }, domain.EUNAUTHORIZED, ""},
			{"one byte appended", append(append([]byte{}, body...), ' '), func() http.Header { return webhook.Sign(src, secrets[src], now, body) }, domain.EUNAUTHORIZED, ""},
			{"wrong secret", body, func() http.Header { return webhook.Sign(src, []byte("not-the-secret-0123456789"), now, body) }, domain.EUNAUTHORIZED, ""},
			{"another source's secret", body, func() http.Header { return webhook.Sign(src, secrets[other(src)], now, body) }, domain.EUNAUTHORIZED, ""},
			{"missing signature", body, func() http.Header {
				h := webhook.Sign(src, secrets[src], now, body)
				h.Del(signatureHeaders[src][0])
				return h
			}, domain.EUNAUTHORIZED, signatureHeaders[src][0]},
			{"repeated signature", body, func() http.Header {
				h := webhook.Sign(src, secrets[src], now, body)
				h.Add(signatureHeaders[src][0], h.Get(signatureHeaders[src][0]))
				return h
			}, domain.EUNAUTHORIZED, signatureHeaders[src][0]},
			{"garbled signature", body, func() http.Header {
				h := webhook.Sign(src, secrets[src], now, body)
				h.Set(signatureHeaders[src][0], "sha1=abc")
				return h
			}, domain.EUNAUTHORIZED, signatureHeaders[src][0]},
			{"wrong content type", body, func() http.Header {
				h := webhook.Sign(src, secrets[src], now, body)
				h.Set("Content-Type", "text/plain")
				return h
			}, domain.EMEDIATYPE, ""},
			{"no content type", body, func() http.Header {
				h := webhook.Sign(src, secrets[src], now, body)
				h.Del("Content-Type")
				return h
			}, domain.EMEDIATYPE, ""},
			{"body over 256 KiB", []byte(`{"x":"` + strings.Repeat("a", webhook.MaxBody) + `"}`), func() http.Header { return http.Header{} }, domain.ETOOLARGE, ""},
		}
		if hasTimestamp {
			ts := signatureHeaders[src][1]
			tests = append(tests,
				struct {
					name  string
					body  []byte
					hdr   func() http.Header
					want  domain.Code
					field string
				}{"stale timestamp", body, func() http.Header { return webhook.Sign(src, secrets[src], now.Add(-6*time.Minute), body) }, domain.EUNAUTHORIZED, ts},
				struct {
					name  string
					body  []byte
					hdr   func() http.Header
					want  domain.Code
					field string
				}{"timestamp in the future", body, func() http.Header { return webhook.Sign(src, secrets[src], now.Add(6*time.Minute), body) }, domain.EUNAUTHORIZED, ts},
				struct {
					name  string
					body  []byte
					hdr   func() http.Header
					want  domain.Code
					field string
				}{"missing timestamp", body, func() http.Header {
					h := webhook.Sign(src, secrets[src], now, body)
					h.Del(ts)
					return h
				}, domain.EUNAUTHORIZED, ts},
				struct {
					name  string
					body  []byte
					hdr   func() http.Header
					want  domain.Code
					field string
				}{"timestamp changed after signing", body, func() http.Header {
					h := webhook.Sign(src, secrets[src], now.Add(-time.Minute), body)
					h.Set(ts, webhook.Sign(src, secrets[src], now, body).Get(ts))
					return h
				}, domain.EUNAUTHORIZED, ""},
			)
		}
		for _, tt := range tests {
			t.Run(string(src)+"/"+tt.name, func(t *testing.T) {
				h := tt.hdr()
				err := verifier().Verify(src, h, tt.body)
				if got := domain.ErrorCode(err); got != tt.want {
					t.Fatalf("Verify = %v (code %q), want code %q", err, got, tt.want)
				}
				if tt.field != "" {
					var de *domain.Error
					if e, ok := err.(*domain.Error); ok {
						de = e
					}
					if de == nil || de.Field != tt.field {
						t.Errorf("error %v does not name header %s", err, tt.field)
					}
				}
				// An error never repeats the proof the sender supplied.
				if err != nil {
					for _, name := range signatureHeaders[src] {
						if v := h.Get(name); v != "" && strings.Contains(err.Error(), v) {
							t.Errorf("error %q contains the %s value", err, name)
						}
					}
					if strings.Contains(err.Error(), string(secrets[src])) {
						t.Errorf("error %q contains the secret", err)
					}
				}
			})
		}
	}
}

func TestVerifyRefusesDisabledSource(t *testing.T) {
	v := &webhook.Verifier{Secrets: map[webhook.Source][]byte{webhook.Jira: secrets[webhook.Jira]}, Now: func() time.Time { return now }}
	body := []byte(bodies[webhook.Zendesk])
	err := v.Verify(webhook.Zendesk, webhook.Sign(webhook.Zendesk, nil, now, body), body)
	if !domain.IsCode(err, domain.ENOTFOUND) || !strings.Contains(err.Error(), "WEBHOOK_SECRET_ZENDESK") {
		t.Fatalf("disabled source: %v, want ENOTFOUND naming WEBHOOK_SECRET_ZENDESK", err)
	}
}

func TestParseSource(t *testing.T) {
	for in, want := range map[string]webhook.Source{"zendesk": webhook.Zendesk, "JIRA": webhook.Jira, " ServiceNow ": webhook.ServiceNow, "generic": webhook.Generic} {
		if got, err := webhook.ParseSource(in); err != nil || got != want {
			t.Errorf("ParseSource(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := webhook.ParseSource("github"); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Errorf("ParseSource(github) = %v, want ENOTFOUND", err)
	}
}

// Zendesk's documented algorithm, computed independently of Sign: a known
// vector guards against Sign and Verify agreeing on the same mistake.
func TestZendeskKnownVector(t *testing.T) {
	body := []byte(`{"ticket":{"id":"1","requester":{"email":"a@b.c"}}}`)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(webhook.HeaderZendeskTimestamp, "2026-11-28T09:00:00Z")
	// base64(HMAC-SHA256("zendesk-secret-0123456789", "2026-11-28T09:00:00Z" + body)), from openssl.
	h.Set(webhook.HeaderZendeskSignature, zendeskVector)
	if err := verifier().Verify(webhook.Zendesk, h, body); err != nil {
		t.Fatalf("known vector refused: %v", err)
	}
}

// Independently computed vectors (openssl dgst -sha256 -hmac).
const (
	zendeskVector = "ybhKdwi5PuYzR/q1en4rvOoo8LgZJMKwy3ACivSLy4Q="
	jiraVector    = "sha256=53c6a8239bcaeadd3e292c2c9765c601971d602b8767b02fb22919d09317ec1b"
	genericVector = "sha256=72f5e2f13958d6be42d15b9caa154b8849b5e6e0dc0002812dbf14c75ddf32d2"
)

func TestHexKnownVectors(t *testing.T) {
	jb := []byte(`{"issue":{"key":"HELP-1","fields":{"reporter":{"emailAddress":"a@b.c"}}}}`)
	h := http.Header{"Content-Type": {"application/json"}, webhook.HeaderHubSignature: {jiraVector}}
	if err := verifier().Verify(webhook.Jira, h, jb); err != nil {
		t.Errorf("Jira vector refused: %v", err)
	}
	gb := []byte(`{"user":"a@b.c","ticket":"T-1"}`)
	v := &webhook.Verifier{Secrets: secrets, Now: func() time.Time { return time.Unix(1795856400, 0) }}
	h = http.Header{"Content-Type": {"application/json"}, webhook.HeaderSignature256: {genericVector}, webhook.HeaderSignatureTimestamp: {"1795856400"}}
	if err := v.Verify(webhook.Generic, h, gb); err != nil {
		t.Errorf("generic vector refused: %v", err)
	}
}

func other(s webhook.Source) webhook.Source {
	if s == webhook.Generic {
		return webhook.Zendesk
	}
	return webhook.Generic
}
