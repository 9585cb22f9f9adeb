package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

func init() {
	wirers = append(wirers, wireWebhook)
	commandNames = append(commandNames, "diagnose")
}

// diagnoseDeps build what the diagnosis needs from other areas' adapters.
// Each is set by that area's wire file (or at integration); a builder must do
// no I/O. Without a directory or an event sink the webhook answers 503 naming
// what is missing; a missing app check is simply not run.
var diagnoseDeps struct {
	// directory builds the Graph adapter of domain.UserDirectory.
	directory func(a *app) (domain.UserDirectory, error)
	// events builds the remediation event sink (Service Bus with its outbox).
	events func(a *app) (domain.EventSink, error)
	// checks build the app-wide checks by name: "appDrift" (the provision
	// plan as a dry run) and "certificate" (signing-certificate expiry).
	checks map[string]func(a *app) (domain.AppCheck, error)
}

func wireWebhook(a *app) error {
	secrets := make(map[webhook.Source][]byte, len(a.cfg.WebhookSecrets))
	for name, s := range a.cfg.WebhookSecrets {
		src, err := webhook.ParseSource(name)
		if err != nil {
			return fmt.Errorf("webhook secret for %q: %w", name, err)
		}
		secrets[src] = s
	}
	enabled := make([]string, 0, len(secrets))
	for _, src := range webhook.Sources {
		if len(secrets[src]) > 0 {
			enabled = append(enabled, string(src))
		}
	}
	a.log.Debug("webhook sources", "enabled", enabled) // names only, never secrets

	job := &lazyDiagnoser{a: a}
	a.router.Handle("webhook", functions.Webhook(functions.WebhookOptions{
		Verifier: &webhook.Verifier{Secrets: secrets},
		Extract:  webhook.ExtractOptions{JiraUserField: a.cfg.JiraUserField},
		Diagnose: job,
	}))
	a.commands["diagnose"] = command{
		Summary: "explain why one user cannot sign in to Aircall",
		Usage:   "handler diagnose [--ticket REF] [--enqueue] [--json] <upn-or-email>",
		Run: func(ctx context.Context, args []string) error {
			return runDiagnose(ctx, job, a.stdout, args)
		},
	}
	return nil
}

// runDiagnose is `handler diagnose`: flags may come before or after the user.
func runDiagnose(ctx context.Context, d functions.Diagnoser, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("diagnose", flag.ContinueOnError)
	fs.SetOutput(out)
	ticket := fs.String("ticket", "", "ticket reference to put in the remediation events' subject")
	enqueue := fs.Bool("enqueue", false, "send the remediation events (default: only print the diagnosis)")
	asJSON := fs.Bool("json", false, "print the whole diagnosis as JSON instead of the ticket text")
	var users []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		users = append(users, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(users) != 1 {
		return errors.New("give exactly one user: handler diagnose [--ticket REF] [--enqueue] [--json] <upn-or-email>")
	}
	diag, err := d.Diagnose(ctx, diagnose.Request{User: users[0], Ticket: *ticket, Source: "cli", DryRun: !*enqueue})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(diag)
	}
	_, err = fmt.Fprintln(out, diag.Text)
	if err == nil && len(diag.Enqueued) > 0 {
		_, err = fmt.Fprintf(out, "(%d remediation event(s) queued)\n", len(diag.Enqueued))
	}
	return err
}

// lazyDiagnoser builds the diagnose job on first use, so start-up does no
// work for it and a binary without the directory adapter still serves the
// other functions.
type lazyDiagnoser struct {
	a   *app
	job lazy[*diagnose.Job]
}

func (l *lazyDiagnoser) Diagnose(ctx context.Context, req diagnose.Request) (*diagnose.Diagnosis, error) {
	job, err := l.job.get(func() (*diagnose.Job, error) { return newDiagnoseJob(l.a) })
	if err != nil {
		return nil, err
	}
	return job.Diagnose(ctx, req)
}

func newDiagnoseJob(a *app) (*diagnose.Job, error) {
	if diagnoseDeps.directory == nil {
		return nil, domain.Errorf(domain.EUNAVAILABLE, "diagnosis is not available in this build: no Entra ID directory adapter is wired (diagnoseDeps.directory in handler/wire_webhook.go)")
	}
	if diagnoseDeps.events == nil {
		return nil, domain.Errorf(domain.EUNAVAILABLE, "diagnosis is not available in this build: no remediation event sink is wired (diagnoseDeps.events in handler/wire_webhook.go)")
	}
	dir, err := diagnoseDeps.directory(a)
	if err != nil {
		return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the Entra ID directory adapter: check GRAPH_BASE_URL, ENTRA_TENANT_ID and the handler log")
	}
	sink, err := diagnoseDeps.events(a)
	if err != nil {
		return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the remediation event sink: check the SERVICEBUS_* settings and the handler log")
	}
	checks := map[string]domain.AppCheck{}
	for name, build := range diagnoseDeps.checks {
		c, err := build(a)
		if err != nil {
			return nil, domain.Wrap(domain.EUNAVAILABLE, err, "could not build the %s check: see the handler log", name)
		}
		checks[name] = c
	}
	return &diagnose.Job{Directory: dir, Events: sink, Checks: checks}, nil
}
