package audit_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
	"github.com/identity-ops/aircall-entra-sso/handler/report"
)

// TestCompletedRunsAreIndexed: each completed run adds its summary, naming
// its stored report, to the run summary index the report page reads; a dry
// run adds nothing and a second run is added after the first.
func TestCompletedRunsAreIndexed(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 7, Users: 300, Mix: problemMix})
	f := newFixture(t, sim, domain.ScopeAssigned)
	reports := inmem.NewReports()
	f.job.Reports, f.job.Index = reports, reports
	index := func() report.Index {
		t.Helper()
		data, _, err := reports.LoadRunIndex(context.Background())
		if domain.IsCode(err, domain.ENOTFOUND) {
			return report.Index{}
		}
		var x report.Index
		if err != nil || json.Unmarshal(data, &x) != nil {
			t.Fatalf("load the index: %v %s", err, data)
		}
		return x
	}

	f.run(t, audit.Request{DryRun: true})
	if x := index(); len(x.Runs) != 0 {
		t.Fatalf("a dry run was indexed: %+v", x.Runs)
	}
	first := f.run(t, audit.Request{})
	x := index()
	if len(x.Runs) != 1 {
		t.Fatalf("index after one run: %+v", x.Runs)
	}
	s := x.Runs[0]
	if s.RunID != first.RunID || s.Report != first.Name() || !s.Complete || s.Open[domain.FindingUPNMismatch] != first.Counts[domain.FindingUPNMismatch] || s.People == 0 {
		t.Errorf("summary = %+v; want run %s, report %s, open %v", s, first.RunID, first.Name(), first.Counts)
	}
	if _, err := reports.ReadReportFile(context.Background(), s.Report, "report.json"); err != nil {
		t.Errorf("the indexed report cannot be read: %v", err)
	}
	second := f.run(t, audit.Request{Full: true})
	if x := index(); len(x.Runs) != 2 || x.Runs[1].RunID != second.RunID {
		t.Errorf("index after two runs: %+v", x.Runs)
	}
}
