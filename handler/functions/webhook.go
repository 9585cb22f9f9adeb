package functions

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

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
}

// Webhook is the function behind POST /api/webhooks/{source}: it verifies
// the request against the raw body, extracts the user and the ticket, and
// answers 200 with the diagnosis (an unknown user is a diagnosis). A request
// that fails verification is answered 401/404/413/415 before anything is
// read from it or enqueued; an unreadable payload gets 400 naming the field.
func Webhook(o WebhookOptions) funchost.Func {
	return func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		log := inv.Log
		if log == nil {
			log = slog.Default()
		}
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
		d, err := o.Diagnose.Diagnose(ctx, diagnose.Request{User: rep.User, Ticket: rep.Ticket, Source: string(src)})
		if err != nil {
			return nil, err
		}
		log.Info("webhook diagnosed", "source", string(src), "ticket", rep.Ticket, "user", rep.User,
			"verdict", string(d.Verdict), "findings", len(d.Findings), "enqueued", len(d.Enqueued))
		return funchost.JSON(http.StatusOK, d), nil
	}
}
