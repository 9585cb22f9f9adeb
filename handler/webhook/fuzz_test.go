package webhook_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/; run a target with e.g.
//   go test ./handler/webhook -run '^$' -fuzz '^FuzzExtractJira$' -fuzztime 30s

func FuzzExtractZendesk(f *testing.F)    { fuzzExtract(f, webhook.Zendesk) }
func FuzzExtractJira(f *testing.F)       { fuzzExtract(f, webhook.Jira) }
func FuzzExtractServiceNow(f *testing.F) { fuzzExtract(f, webhook.ServiceNow) }
func FuzzExtractGeneric(f *testing.F)    { fuzzExtract(f, webhook.Generic) }

// fuzzExtract checks that any body yields either a valid report or an
// EINVALID error naming a field: never a panic, never another error kind,
// never a user or ticket that breaks the event subject.
func fuzzExtract(f *testing.F, src webhook.Source) {
	f.Add([]byte(bodies[src]), "")
	f.Add([]byte(bodies[src]), "customfield_10042")
	f.Fuzz(func(t *testing.T, body []byte, jiraField string) {
		r, err := webhook.Extract(src, body, webhook.ExtractOptions{JiraUserField: jiraField})
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.EINVALID || de.Field == "" || de.Message == "" {
				t.Fatalf("error %v is not an EINVALID naming a field", err)
			}
			return
		}
		if r.Source != src || r.User == "" || r.Ticket == "" {
			t.Fatalf("incomplete report %+v", r)
		}
		if strings.IndexFunc(r.User, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 || !strings.Contains(r.User, "@") ||
			len(r.User) > domain.MaxUserRefLen || domain.UserRefProblem(r.User) != "" {
			t.Fatalf("user %q is not an address within Entra's limits", r.User)
		}
		if strings.ContainsAny(r.Ticket, "/ \t\n") || len(r.Ticket) > 70 {
			t.Fatalf("ticket %q would break the event subject", r.Ticket)
		}
	})
}

func FuzzParseHexSignature(f *testing.F) {
	f.Add("sha256=" + strings.Repeat("ab", 32))
	f.Add("SHA256=" + strings.Repeat("0F", 32))
	f.Add("sha1=abc")
	f.Fuzz(func(t *testing.T, s string) {
		mac, err := webhook.ParseHexSignature(webhook.HeaderHubSignature, s)
		if err != nil {
			if !domain.IsCode(err, domain.EUNAUTHORIZED) {
				t.Fatalf("error %v is not EUNAUTHORIZED", err)
			}
			if len(s) > 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error repeats the signature")
			}
			return
		}
		if len(mac) != 32 || !strings.EqualFold("sha256="+hex.EncodeToString(mac), strings.TrimSpace(s)) {
			t.Fatalf("parsed %q into %x", s, mac)
		}
	})
}

func FuzzParseZendeskSignature(f *testing.F) {
	f.Add("ybhKdwi5PuYzR/q1en4rvOoo8LgZJMKwy3ACivSLy4Q=")
	f.Add("not base64!")
	f.Fuzz(func(t *testing.T, s string) {
		mac, err := webhook.ParseZendeskSignature(s)
		if err != nil {
			if !domain.IsCode(err, domain.EUNAUTHORIZED) {
				t.Fatalf("error %v is not EUNAUTHORIZED", err)
			}
			return
		}
		if len(mac) != 32 {
			t.Fatalf("parsed %q into %d bytes", s, len(mac))
		}
	})
}

func FuzzParseTimestamp(f *testing.F) {
	f.Add("1795856400")
	f.Add("2026-11-28T09:00:00Z")
	f.Add("2026-11-28T09:00:00.123+01:00")
	f.Add("-1")
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := webhook.ParseTimestamp(webhook.HeaderSignatureTimestamp, s)
		if err != nil {
			if !domain.IsCode(err, domain.EUNAUTHORIZED) {
				t.Fatalf("error %v is not EUNAUTHORIZED", err)
			}
			return
		}
		if ts.IsZero() && strings.TrimSpace(s) != "0" {
			t.Fatalf("parsed %q into the zero time", s)
		}
	})
}
