package app

import (
	"context"
	"log/slog"

	"github.com/identity-ops/aircall-entra-sso/handler/archive"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/diagnose"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
	"github.com/identity-ops/aircall-entra-sso/handler/webhook"
)

// Route is one function: its name (the folder of its function.json under
// functions/) and what answers it.
type Route struct {
	Name string
	Func funchost.Func
}

// Routes lists every function the host invokes, each once.
func (a *App) Routes() []Route {
	return []Route{
		{"health", functions.Health(functions.HealthInfo{Version: a.Version})},
		{"provision", functions.Provision(a.Provisioner())},
		{"metadata", functions.Metadata(jobArchive{a})},
		{"metadata-archive", functions.MetadataArchive(jobArchive{a})},
		{"audit", functions.AuditTimer(a.Auditor())},
		{"audit-run", functions.AuditRun(a.Auditor())},
		{"report", functions.Report(a.reportSources())},
		{"webhook", functions.Webhook(functions.WebhookOptions{
			Verifier:   &webhook.Verifier{Secrets: a.webhookSecrets()},
			Extract:    webhook.ExtractOptions{JiraUserField: a.Config.JiraUserField},
			Diagnose:   a.Diagnoser(),
			Deliveries: deliveryLog{a},
			Full:       a.Config.WebhookDetail == "full",
		})},
	}
}

// webhookSecrets are the senders' secrets by source. config only produces
// known source names; an unknown one (a Config built by hand) is refused
// like a source without a secret.
func (a *App) webhookSecrets() map[webhook.Source][]byte {
	secrets := make(map[webhook.Source][]byte, len(a.Config.WebhookSecrets))
	for name, s := range a.Config.WebhookSecrets {
		src, err := webhook.ParseSource(name)
		if err != nil {
			a.Log.Error("webhook secret ignored", "source", name, "error", err.Error())
			continue
		}
		secrets[src] = s
	}
	enabled := make([]string, 0, len(secrets))
	for _, src := range webhook.Sources {
		if len(secrets[src]) > 0 {
			enabled = append(enabled, string(src))
		}
	}
	a.Log.Debug("webhook sources", "enabled", enabled) // names only, never secrets
	return secrets
}

// The functions and the commands reach each job through these, which build
// it on first use.

// Provisioner runs the provision job.
func (a *App) Provisioner() functions.Provisioner { return jobProvision{a} }

// Archiver runs the metadata archive.
func (a *App) Archiver() functions.MetadataArchiver { return jobArchive{a} }

// Auditor runs the audit.
func (a *App) Auditor() functions.Auditor { return jobAudit{a} }

// Diagnoser runs the diagnosis.
func (a *App) Diagnoser() functions.Diagnoser { return jobDiagnose{a} }

type (
	jobProvision struct{ a *App }
	jobArchive   struct{ a *App }
	jobAudit     struct{ a *App }
	jobDiagnose  struct{ a *App }
)

// with builds a job (or returns why it cannot be built) and calls do on it.
func with[J, R any](build func() (J, error), do func(J) (R, error)) (R, error) {
	j, err := build()
	if err != nil {
		var zero R
		return zero, err
	}
	return do(j)
}

func (j jobProvision) Run(ctx context.Context, req provision.Request) (*provision.Result, error) {
	return with(j.a.ProvisionJob, func(p *provision.Job) (*provision.Result, error) { return p.Run(ctx, req) })
}

func (j jobArchive) Run(ctx context.Context, log *slog.Logger) (*archive.Result, error) {
	return with(j.a.ArchiveJob, func(x *archive.Job) (*archive.Result, error) { return x.Run(ctx, log) })
}

func (j jobArchive) Summary(ctx context.Context) (*archive.Summary, error) {
	return with(j.a.ArchiveJob, func(x *archive.Job) (*archive.Summary, error) { return x.Summary(ctx) })
}

func (j jobArchive) Document(ctx context.Context, version string) ([]byte, string, error) {
	x, err := j.a.ArchiveJob()
	if err != nil {
		return nil, "", err
	}
	return x.Document(ctx, version)
}

func (j jobAudit) Run(ctx context.Context, req audit.Request) (*audit.Report, error) {
	return with(j.a.AuditJob, func(x *audit.Job) (*audit.Report, error) { return x.Run(ctx, req) })
}

func (j jobDiagnose) Diagnose(ctx context.Context, req diagnose.Request) (*diagnose.Diagnosis, error) {
	return with(j.a.DiagnoseJob, func(x *diagnose.Job) (*diagnose.Diagnosis, error) { return x.Diagnose(ctx, req) })
}

// deliveryLog is the Blob delivery log of the webhook, reached through the
// blob store when a delivery first needs it.
type deliveryLog struct{ a *App }

func (d deliveryLog) Claim(ctx context.Context, key string, rec domain.Delivery) (domain.Delivery, string, bool, error) {
	s, err := d.a.BlobStore()
	if err != nil {
		return domain.Delivery{}, "", false, err
	}
	return s.Deliveries().Claim(ctx, key, rec)
}

func (d deliveryLog) Replace(ctx context.Context, key string, rec domain.Delivery, version string) (string, error) {
	s, err := d.a.BlobStore()
	if err != nil {
		return "", err
	}
	return s.Deliveries().Replace(ctx, key, rec, version)
}

func (d deliveryLog) Forget(ctx context.Context, key string) error {
	s, err := d.a.BlobStore()
	if err != nil {
		return err
	}
	return s.Deliveries().Forget(ctx, key)
}
