package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/archive"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/report"
)

// ReportSources is what GET /api/report is built from: the stored audit
// reports and their run summary index, and the app's health facts.
type ReportSources struct {
	// Library reads the index and the reports the audit stored.
	Library domain.ReportLibrary
	// Drift is the provision plan run as a dry run (provision.Job.Drift);
	// Archive the metadata archive's summary (archive.Job.Summary). Either
	// may be nil or fail: the page then says it was not checked.
	Drift   func(ctx context.Context) ([]domain.Finding, error)
	Archive func(ctx context.Context) (*archive.Summary, error)
	// RotateBeforeDays is CERT_ROTATE_BEFORE_DAYS.
	RotateBeforeDays int
	// Now dates the page; nil means time.Now.
	Now func() time.Time
}

// runIDPattern is an audit run id as the audit names runs: start time,
// mode and six hex digits (docs/audit.md, "Reports"). Anything else in
// ?run= is refused before it reaches storage.
var runIDPattern = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-(full|delta)-[0-9a-f]{6}$`)

// Report is GET /api/report: the latest completed audit run as the report
// page (report.HTML, served with report.ContentSecurityPolicy), or with
// ?format=json or ?format=csv the same data; ?run=<id> shows an older run
// of the index instead. Before the first completed audit it answers 404.
func Report(src ReportSources) funchost.Func {
	return func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		req, err := httpRequest(inv, "report", http.MethodGet, "/api/report")
		if err != nil {
			return nil, err
		}
		format := strings.ToLower(req.Query["format"])
		if format != "" && format != "html" && format != "json" && format != "csv" {
			return nil, domain.FieldError("format", "must be html, json or csv, got %q", truncate(req.Query["format"], 40))
		}
		runID := req.Query["run"]
		if runID != "" && !runIDPattern.MatchString(runID) {
			return nil, domain.FieldError("run", "must be an audit run id such as 20260101T020000Z-full-a1b2c3, got %q", truncate(runID, 60))
		}
		in, err := src.input(ctx, inv.Log, runID)
		if err != nil {
			return nil, err
		}
		return render(report.Build(in), format)
	}
}

// input finds the run to show in the index, reads its report and gathers
// the health facts.
func (src ReportSources) input(ctx context.Context, log *slog.Logger, runID string) (report.Input, error) {
	var in report.Input
	data, _, err := src.Library.LoadRunIndex(ctx)
	if domain.IsCode(err, domain.ENOTFOUND) {
		return in, domain.Errorf(domain.ENOTFOUND, "no audit run has completed yet: run one (POST /api/audit, `handler audit`, or wait for the nightly timer), then open the report again")
	}
	if err != nil {
		return in, err
	}
	var x report.Index
	if err := json.Unmarshal(data, &x); err != nil || len(x.Runs) == 0 {
		return in, domain.Errorf(domain.ENOTFOUND, "the report index lists no audit run yet: the next completed audit run writes it")
	}
	run := x.Runs[len(x.Runs)-1]
	if runID != "" {
		i := indexOf(x.Runs, runID)
		if i < 0 {
			return in, domain.Errorf(domain.ENOTFOUND, "audit run %s is not among the last %d completed runs", runID, report.MaxRuns)
		}
		run = x.Runs[i]
	}
	raw, err := src.Library.ReadReportFile(ctx, run.Report, "report.json")
	if err != nil {
		return in, domain.Wrap(domain.ErrorCode(err), err, "read the report of audit run %s", run.RunID)
	}
	if err := json.Unmarshal(raw, &in.Audit); err != nil {
		return in, domain.Wrap(domain.EINTERNAL, err, "the stored report of audit run %s is unreadable", run.RunID)
	}
	// The run's open findings, carried forward from run to run; without
	// them (a run indexed before the list existed) the page lists the
	// findings the run's report names and says so.
	var open audit.OpenList
	if raw, err := src.Library.ReadReportFile(ctx, run.Report, audit.OpenListFile); err == nil && json.Unmarshal(raw, &open) == nil {
		in.Audit.Findings, in.Audit.Truncated = open.Findings, open.Truncated
	}
	in.History = x.Runs
	in.Now = time.Now()
	if src.Now != nil {
		in.Now = src.Now()
	}
	in.Health = src.health(ctx, log, in.Now)
	return in, nil
}

func indexOf(runs []report.RunSummary, id string) int {
	for i, r := range runs {
		if r.RunID == id {
			return i
		}
	}
	return -1
}

// health reads the drift check and the archive summary at the same time;
// what fails is logged and shown as not checked.
func (src ReportSources) health(ctx context.Context, log *slog.Logger, now time.Time) report.Health {
	if log == nil {
		log = slog.Default()
	}
	h := report.Health{RotateBeforeDays: src.RotateBeforeDays}
	var wg sync.WaitGroup
	if src.Drift != nil {
		wg.Go(func() {
			fs, err := src.Drift(ctx)
			if err != nil {
				log.Warn("report: the drift check failed", "error", err.Error())
				h.Drift = []report.DriftCheck{{Name: "Drift check", State: report.CheckDrift, Severity: domain.SeverityWarning,
					Detail: "could not be run: " + domain.ErrorMessage(err)}}
				return
			}
			h.Drift, h.DriftCheckedAt = report.DriftChecks(fs), now.UTC()
		})
	}
	if src.Archive != nil {
		wg.Go(func() {
			s, err := src.Archive(ctx)
			if err != nil {
				log.Warn("report: the metadata archive could not be read", "error", err.Error())
				return
			}
			for _, c := range s.Certificates {
				h.Certificates = append(h.Certificates, report.Certificate{CertificateFacts: c.CertificateFacts})
			}
			for _, v := range s.History {
				h.Metadata = append(h.Metadata, report.MetadataVersion{Name: v.Name, FetchedAt: v.FetchedAt, Thumbprints: v.Thumbprints, Changes: v.Changes})
			}
		})
	}
	wg.Wait()
	return h
}

// render writes the model in the format asked for.
func render(m report.Model, format string) (*funchost.Response, error) {
	var b bytes.Buffer
	var res *funchost.Response
	switch format {
	case "json":
		if err := report.JSON(&b, m); err != nil {
			return nil, err
		}
		res = funchost.Text(http.StatusOK, "application/json", b.Bytes())
	case "csv":
		if err := report.CSV(&b, m); err != nil {
			return nil, err
		}
		res = funchost.Text(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
		res.Headers["Content-Disposition"] = `attachment; filename="aircall-sso-report-` + m.Run.RunID + `.csv"`
	default:
		if err := report.HTML(&b, m); err != nil {
			return nil, err
		}
		res = funchost.Text(http.StatusOK, "text/html; charset=utf-8", b.Bytes())
		res.Headers["Content-Security-Policy"] = report.ContentSecurityPolicy
	}
	res.Headers["Cache-Control"] = "no-store"
	res.Headers["X-Content-Type-Options"] = "nosniff"
	return res, nil
}

// truncate shortens hostile input echoed in an error.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
