package app

import (
	"context"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/blob"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
	"github.com/identity-ops/aircall-entra-sso/handler/provision"
)

// reportSources are what GET /api/report reads: the audit's stored
// reports and run summary index in Blob, the provision job's drift check
// and the metadata archive's summary, each built on first use.
func (a *App) reportSources() functions.ReportSources {
	return functions.ReportSources{
		Library: reportLibrary{a},
		Drift: func(ctx context.Context) ([]domain.Finding, error) {
			return with(a.ProvisionJob, func(p *provision.Job) ([]domain.Finding, error) { return p.Drift(ctx) })
		},
		Archive:          jobArchive{a}.Summary,
		RotateBeforeDays: int(a.Config.CertRotateBefore / (24 * time.Hour)),
	}
}

// reportLibrary builds the blob store when the page is first asked for.
type reportLibrary struct{ a *App }

func (r reportLibrary) reports() (*blob.Reports, error) {
	s, err := r.a.BlobStore()
	if err != nil {
		return nil, err
	}
	return s.Reports(), nil
}

func (r reportLibrary) ReadReportFile(ctx context.Context, name, file string) ([]byte, error) {
	return with(r.reports, func(x *blob.Reports) ([]byte, error) { return x.ReadReportFile(ctx, name, file) })
}

func (r reportLibrary) LoadRunIndex(ctx context.Context) ([]byte, string, error) {
	x, err := r.reports()
	if err != nil {
		return nil, "", err
	}
	return x.LoadRunIndex(ctx)
}

func (r reportLibrary) SaveRunIndex(ctx context.Context, data []byte, etag string) (string, error) {
	return with(r.reports, func(x *blob.Reports) (string, error) { return x.SaveRunIndex(ctx, data, etag) })
}
