package functions

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

// WebhookDeadline is how long one webhook invocation may take, every
// outbound call included: far below the host's functionTimeout (10 minutes,
// host.json), so a stalled dependency fails the call with 503 (the sender
// retries) instead of holding it until the host gives up
// (docs/webhooks.md, "Deadlines").
const WebhookDeadline = 2 * time.Minute

// Diagnoser diagnoses one user; *diagnose.Job is one.
type Diagnoser interface {
	Diagnose(ctx context.Context, req diagnose.Request) (*diagnose.Diagnosis, error)
}

// WebhookOptions configures the webhook function.
type WebhookOptions struct {
	// Verifier holds the per-source secrets and the replay window.
	Verifier *webhook.Verifier
	// Extract tunes payload extraction (the Jira user field).
	Extract webhook.ExtractOptions
	// Diagnose runs the diagnosis and enqueues its events.
	Diagnose Diagnoser
	// Deliveries remembers the deliveries answered, so a replay or a retry
	// is answered once; nil remembers nothing (tests of other behaviour).
	Deliveries domain.DeliveryLog
	// Full answers with the whole diagnosis (WEBHOOK_DETAIL=full); the
	// default answer is the summary (WebhookAnswer).
	Full bool
	// Now is the clock of the delivery log; nil means time.Now.
	Now func() time.Time
	// Deadline overrides WebhookDeadline when positive.
	Deadline time.Duration
}

// WebhookAnswer is what a sender is told by default (WEBHOOK_DETAIL=summary):
// the verdict, the text for the ticket and the ids of the events enqueued —
// no object ids, group names or raw attributes (docs/webhooks.md, "What the
// answer says"). A delivery seen before is answered with its first answer
// and Duplicate.
type WebhookAnswer struct {
	Verdict   diagnose.Verdict `json:"verdict"`
	Ticket    string           `json:"ticket,omitempty"`
	Text      string           `json:"text"`
	Enqueued  []string         `json:"enqueued"`
	Duplicate bool             `json:"duplicate,omitempty"`
}

// Webhook is the function behind POST /api/webhooks/{source}: it verifies
// the request against the raw body, extracts the user and the ticket, and
// answers 200 with the diagnosis (an unknown user is a diagnosis). A request
// that fails verification is answered 401/404/413/415 before anything is
// read from it or enqueued; an unreadable payload gets 400 naming the field.
// A delivery answered before gets its first answer again with "duplicate":
// true, without a new lookup or event; one being handled right now gets 409.
func Webhook(o WebhookOptions) funchost.Func {
	deadline := o.Deadline
	if deadline <= 0 {
		deadline = WebhookDeadline
	}
	return func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		ctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		log := invLog(inv)
		req, err := httpRequest(inv, "webhook", http.MethodPost, "/api/webhooks/{source}")
		if err != nil {
			return nil, err
		}
		src, err := webhook.ParseSource(req.Params["source"])
		if err != nil {
			return nil, err
		}
		// Refusals are logged once, by funchost, with the error's message:
		// Verify's errors never carry a secret, a signature or a header value.
		if err := o.Verifier.Verify(src, req.Headers, req.Body); err != nil {
			return nil, err
		}
		rep, err := webhook.Extract(src, req.Body, o.Extract)
		if err != nil {
			return nil, err
		}
		var claim *webhook.Claim
		if o.Deliveries != nil {
			replays := &webhook.Replays{Log: o.Deliveries, Now: o.Now}
			seen, c, err := replays.Begin(ctx, webhook.DeliveryKeys(src, req.Headers))
			if err != nil {
				return nil, err
			}
			if seen != nil {
				log.Info("webhook repeat answered from the delivery log", "source", string(src), "ticket", rep.Ticket)
				return funchost.JSON(http.StatusOK, duplicateAnswer(seen)), nil
			}
			claim = c
		}
		d, err := o.Diagnose.Diagnose(ctx, diagnose.Request{User: rep.User, Ticket: rep.Ticket, Source: string(src)})
		if err != nil {
			claim.Abandon(ctx)
			return nil, err
		}
		log.Info("webhook diagnosed", "source", string(src), "ticket", rep.Ticket, "user", rep.User,
			"verdict", string(d.Verdict), "findings", len(d.Findings), "enqueued", len(d.Enqueued))
		summary := WebhookAnswer{Verdict: d.Verdict, Ticket: d.Ticket, Text: d.Text, Enqueued: d.Enqueued}
		if claim != nil {
			if err := claim.Finish(ctx, recordOf(summary)); err != nil {
				// The events are enqueued (same ids on a retry): answer, and
				// let a repeat run again rather than fail this caller.
				log.Warn("webhook: could not record the delivery's answer; a repeat will be diagnosed again", "error", err.Error())
				claim.Abandon(ctx)
			}
		}
		if o.Full {
			return funchost.JSON(http.StatusOK, d), nil
		}
		return funchost.JSON(http.StatusOK, summary), nil
	}
}

// recordOf is the summary as the delivery log keeps it: the text is cut so
// the record stays under domain.MaxDeliveryAnswer.
func recordOf(a WebhookAnswer) []byte {
	for {
		b, _ := json.Marshal(a)
		if len(b) <= domain.MaxDeliveryAnswer || (a.Text == "" && len(a.Enqueued) == 0) {
			return b
		}
		if a.Text != "" {
			a.Text = a.Text[:len(a.Text)/2] + "…"
			continue
		}
		a.Enqueued = a.Enqueued[:len(a.Enqueued)/2]
	}
}

// duplicateAnswer is a stored first answer marked as a repeat.
func duplicateAnswer(first []byte) WebhookAnswer {
	var a WebhookAnswer
	_ = json.Unmarshal(first, &a)
	if a.Enqueued == nil {
		a.Enqueued = []string{}
	}
	a.Duplicate = true
	return a
}
