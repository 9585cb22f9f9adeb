package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

func init() { registerStep("webhook", demoWebhook) }

// demoWebhook posts a signed Zendesk webhook about a user whose UPN differs
// from their mail and prints the diagnosis text for the ticket.
func demoWebhook(d *demo) error {
	if d.mismatch.ID == "" {
		return fmt.Errorf("the simulated tenant has no user whose UPN differs from their mail")
	}
	title(d.out, "POST /api/webhooks/zendesk (signed): \""+d.mismatch.Mail+" cannot log in to Aircall\"")
	body := []byte(fmt.Sprintf(`{"ticket":{"id":"4711","requester":{"email":%q}}}`, d.mismatch.Mail))
	h := webhook.Sign(webhook.Zendesk, []byte(demoZendeskSecret), time.Now(), body)
	headers := map[string]string{}
	for k := range h {
		headers[k] = h.Get(k)
	}
	st, out, err := d.call(http.MethodPost, "/api/webhooks/zendesk", body, headers)
	if err != nil {
		return err
	}
	if st != http.StatusOK {
		return fmt.Errorf("webhook answered %d: %s", st, out)
	}
	var diag struct {
		Verdict  string   `json:"verdict"`
		Text     string   `json:"text"`
		Enqueued []string `json:"enqueued"`
	}
	if err := json.Unmarshal(out, &diag); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "200, verdict %s, %d remediation event(s) queued\n--- text for the ticket ---\n%s\n---\n", diag.Verdict, len(diag.Enqueued), diag.Text)

	title(d.out, "The same delivery again (a replay or the sender's retry)")
	st, out, err = d.call(http.MethodPost, "/api/webhooks/zendesk", body, headers)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "%d %s\n", st, out)

	title(d.out, "The same webhook with a tampered body")
	tampered := []byte(fmt.Sprintf(`{"ticket":{"id":"4712","requester":{"email":%q}}}`, d.mismatch.Mail))
	st, out, err = d.call(http.MethodPost, "/api/webhooks/zendesk", tampered, headers)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "%d %s\n", st, out)
	return nil
}
