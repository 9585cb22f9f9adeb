package webhook

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Sign returns the headers a sender of src attaches to body, signed with
// secret at time t, including Content-Type. It is what Zendesk and Jira do
// and what the ServiceNow recipe in docs/webhooks.md does; tests, `make demo`
// and load tests use it.
func Sign(src Source, secret []byte, t time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	switch src {
	case Zendesk:
		ts := t.UTC().Format(time.RFC3339)
		h.Set(HeaderZendeskTimestamp, ts)
		h.Set(HeaderZendeskSignature, base64.StdEncoding.EncodeToString(sum(secret, []byte(ts), nil, body)))
	case Jira:
		h.Set(HeaderHubSignature, "sha256="+hex.EncodeToString(sum(secret, nil, nil, body)))
	default:
		ts := strconv.FormatInt(t.Unix(), 10)
		h.Set(HeaderSignatureTimestamp, ts)
		h.Set(HeaderSignature256, "sha256="+hex.EncodeToString(sum(secret, []byte(ts), []byte("."), body)))
	}
	return h
}
