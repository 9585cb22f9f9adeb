package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/report"
)

// storeRun stores a report and adds it to the index, as the audit does.
func storeRun(t *testing.T, lib *inmem.Reports, runID string, ended time.Time, counts map[domain.FindingKind]int, fs []domain.Finding) {
	t.Helper()
	ctx := context.Background()
	a := report.Audit{Run: report.Run{RunID: runID, Complete: true, EndedAt: ended}, Counts: counts, Findings: fs}
	js, _ := json.Marshal(a)
	if _, err := lib.PutReport(ctx, runID+"-1", []domain.ReportFile{{Name: "report.json", ContentType: "application/json", Data: js}}); err != nil {
		t.Fatal(err)
	}
	var x report.Index
	data, etag, err := lib.LoadRunIndex(ctx)
	if err == nil {
		_ = json.Unmarshal(data, &x)
	}
	s := report.Summarize(a)
	s.Report = runID + "-1"
	out, _ := json.Marshal(x.Add(s))
	if _, err := lib.SaveRunIndex(ctx, out, etag); err != nil {
		t.Fatal(err)
	}
}

func TestReportFunction(t *testing.T) {
	now := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	lib := inmem.NewReports()
	get := functions.Report(functions.ReportSources{
		Library: lib, Now: func() time.Time { return now },
		Drift: func(context.Context) ([]domain.Finding, error) { return nil, errors.New("graph down") },
	})
	call := func(q map[string]string) (*funchost.Response, error) {
		return get(context.Background(), &funchost.Invocation{HTTP: &funchost.HTTPRequest{Method: "GET", Query: q}})
	}

	_, err := call(nil)
	if !domain.IsCode(err, domain.ENOTFOUND) || !strings.Contains(domain.ErrorMessage(err), "no audit run has completed yet") {
		t.Fatalf("before the first audit: %v, want ENOTFOUND saying no audit completed", err)
	}

	const older, latest = "20261128T010000Z-full-a1b2c3", "20261129T010000Z-delta-d4e5f6"
	ann := domain.Finding{Kind: domain.FindingUPNMismatch, Severity: domain.SeverityWarning, Subject: "ann@contoso.com", Key: "u1", Remedy: "Set the claim to user.userprincipalname."}
	bob := domain.Finding{Kind: domain.FindingUserDisabled, Severity: domain.SeverityError, Subject: "=cmd|' /C calc'!A0", Key: "u2"}
	storeRun(t, lib, older, now.Add(-53*time.Hour), map[domain.FindingKind]int{domain.FindingUPNMismatch: 1}, []domain.Finding{ann})
	storeRun(t, lib, latest, now.Add(-29*time.Hour), map[domain.FindingKind]int{domain.FindingUPNMismatch: 1, domain.FindingUserDisabled: 1}, []domain.Finding{bob})

	res, err := call(nil)
	if err != nil || res.Status != 200 {
		t.Fatalf("page: %v", err)
	}
	if res.Headers["Content-Security-Policy"] != report.ContentSecurityPolicy || !strings.HasPrefix(res.Headers["Content-Type"], "text/html") {
		t.Errorf("page headers = %v; want the report's CSP and text/html", res.Headers)
	}
	for _, want := range []string{latest, "could not be run: ", "At least 1 person would fail"} {
		if !bytes.Contains(res.Body, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}

	// With the run's open list (audit.OpenListFile), the page lists every
	// open finding, not only those the run's report names.
	open, _ := json.Marshal(audit.OpenList{RunID: latest, Findings: []domain.Finding{bob, ann}})
	if _, err := lib.PutReport(context.Background(), latest+"-1", []domain.ReportFile{{Name: audit.OpenListFile, Data: open}}); err != nil {
		t.Fatal(err)
	}
	if res, err := call(nil); err != nil || !bytes.Contains(res.Body, []byte(">2 people would fail")) || !bytes.Contains(res.Body, []byte("ann@contoso.com")) {
		t.Errorf("page with the open list: %v; want 2 people, ann listed", err)
	}

	res, err = call(map[string]string{"format": "JSON", "run": older})
	var m report.Model
	if err != nil || json.Unmarshal(res.Body, &m) != nil || m.Run.RunID != older || len(m.History) != 1 || m.Headline.People != 1 {
		t.Fatalf("json of the older run: %v %+v", err, m)
	}

	res, err = call(map[string]string{"format": "csv"})
	if err != nil || !strings.Contains(string(res.Body), "'=cmd|") || !strings.Contains(res.Headers["Content-Disposition"], latest+".csv") {
		t.Errorf("csv: %v %q %v; want the formula defused and a file name with the run", err, res.Body, res.Headers)
	}

	// Hostile or unknown input: a clear 4xx naming the field, nothing read.
	for _, q := range []map[string]string{
		{"run": "../../checkpoints/audit/known"}, {"run": "20261129T010000Z-delta-d4e5f6/../x"}, {"run": "20261129T010000Z-DELTA-D4E5F6"},
		{"run": strings.Repeat("9", 5000)}, {"run": "20261129T010000Z-delta-d4e5f6\n"}, {"format": "xml"},
	} {
		_, err := call(q)
		var de *domain.Error
		if !domain.IsCode(err, domain.EINVALID) || !errors.As(err, &de) || (de.Field != "run" && de.Field != "format") || len(de.Message) > 200 {
			t.Errorf("query %q: %v; want EINVALID naming the field, with a short message", q, err)
		}
	}
	if _, err := call(map[string]string{"run": "20250101T010000Z-full-000000"}); !domain.IsCode(err, domain.ENOTFOUND) {
		t.Errorf("a run not in the index: %v, want ENOTFOUND", err)
	}
	if _, err := get(context.Background(), &funchost.Invocation{HTTP: &funchost.HTTPRequest{Method: "POST"}}); !domain.IsCode(err, domain.EINVALID) {
		t.Errorf("POST: %v, want EINVALID", err)
	}
}
