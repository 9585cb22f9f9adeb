// Package webhooktest holds the webhook fixtures the tests of several
// packages share: one signing secret per source and the instant the tests
// sign at. Test support only; the production binary never imports it.
package webhooktest

import (
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

// Secrets returns a new map of each source's test signing secret (every
// one long enough for config's minimum). The known-answer vectors in
// handler/webhook's tests are computed from these values.
func Secrets() map[webhook.Source][]byte {
	return map[webhook.Source][]byte{
		webhook.Zendesk:    []byte("zendesk-secret-0123456789"),
		webhook.Jira:       []byte("jira-secret-0123456789"),
		webhook.ServiceNow: []byte("servicenow-secret-0123456789"),
		webhook.Generic:    []byte("generic-secret-0123456789"),
	}
}

// Now is the instant the tests sign and verify at.
func Now() time.Time { return time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC) }
