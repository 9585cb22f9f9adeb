package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"

	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/strictjson"
)

// MaxAuditBody is the largest audit request body accepted.
const MaxAuditBody = 4 << 10

// AuditAnswerRows is the most findings the HTTP answer lists; the stored
// report (Locations) has them all, up to the job's row limit.
const AuditAnswerRows = 100

// Auditor runs one audit invocation; *audit.Job is one.
type Auditor interface {
	Run(ctx context.Context, req audit.Request) (*audit.Report, error)
}

// AuditTimer is the timer function audit. It fires every 10 minutes during
// the night (functions/audit/function.json): the first firing starts the
// night's run, the next ones continue it while it is incomplete (a large
// tenant, the time budget), and the rest find nothing to do. A firing that
// finds another invocation still running does nothing.
func AuditTimer(a Auditor) funchost.Func {
	return func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		log := invLog(inv)
		if inv.Timer != nil && inv.Timer.IsPastDue {
			log.Info("audit timer is past due; running now")
		}
		rep, err := a.Run(ctx, audit.Request{IfDue: true})
		if errors.Is(err, domain.ErrBusy) {
			log.Info("audit: another invocation is running; this firing does nothing", "reason", domain.ErrorMessage(err))
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if !rep.Skipped {
			log.Info("audit invocation", "runId", rep.RunID, "complete", rep.Complete, "published", rep.Published)
		}
		return nil, nil
	}
}

// AuditRun is POST /api/audit with {"dryRun":bool,"full":bool,"saveReport":bool} (an empty
// body means {}): one invocation now. It answers 200 with the report when
// the run completed, 202 when it stopped at its time budget (the timer or
// another call continues it), 409 when another audit is running.
func AuditRun(a Auditor) funchost.Func {
	return func(ctx context.Context, inv *funchost.Invocation) (*funchost.Response, error) {
		req, err := httpRequest(inv, "audit-run", http.MethodPost, "/api/audit")
		if err != nil {
			return nil, err
		}
		areq, err := DecodeAuditRequest(req.ContentType(), req.Body)
		if err != nil {
			return nil, err
		}
		rep, err := a.Run(ctx, areq)
		if err != nil {
			return nil, err
		}
		invLog(inv).Info("audit invocation", "runId", rep.RunID, "dryRun", rep.DryRun, "complete", rep.Complete, "published", rep.Published)
		answer := *rep
		if len(answer.Findings) > AuditAnswerRows {
			answer.Findings = answer.Findings[:AuditAnswerRows]
			answer.Truncated = true
		}
		status := http.StatusOK
		if !rep.Complete {
			status = http.StatusAccepted
		}
		return funchost.JSON(status, answer), nil
	}
}

func invLog(inv *funchost.Invocation) *slog.Logger {
	if inv.Log != nil {
		return inv.Log
	}
	return slog.Default()
}

// DecodeAuditRequest decodes an audit body strictly: a JSON object with
// the boolean fields dryRun, full and saveReport (a dry run stores its
// report only with "saveReport": true), each at most once, names
// case-sensitive, nothing after it.
func DecodeAuditRequest(contentType string, body []byte) (audit.Request, error) {
	var r audit.Request
	if len(body) > MaxAuditBody {
		return r, domain.Errorf(domain.ETOOLARGE, "the request body is %d bytes; the limit is %d", len(body), MaxAuditBody)
	}
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return r, nil
	}
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		return r, domain.Errorf(domain.EMEDIATYPE, "send the body as Content-Type: application/json, got %q", contentType)
	}
	if b[0] != '{' {
		return r, domain.Errorf(domain.EINVALID, `the body must be a JSON object like {"dryRun":true,"full":false}`)
	}
	err := strictjson.Object("", b, func(key string, raw json.RawMessage) error {
		var target *bool
		switch key {
		case "dryRun":
			target = &r.DryRun
		case "full":
			target = &r.Full
		case "saveReport":
			target = &r.SaveReport
		default:
			return domain.Errorf(domain.EINVALID, "unknown field %q (allowed: dryRun, full, saveReport; names are case-sensitive)", key)
		}
		if err := json.Unmarshal(raw, target); err != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return domain.FieldError(key, "must be true or false, got %s", string(raw))
		}
		return nil
	})
	if err != nil {
		return audit.Request{}, err
	}
	return r, nil
}
