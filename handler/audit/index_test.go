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
	// A delta run: one disabled person is enabled again, one is disabled.
	// Its own report names only the new finding; its open list names every
	// open one, carried forward from the first run's.
	var fixed, broken graphsim.Truth
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		assigned := tr.Access == graphsim.AccessDirect || tr.Access == graphsim.AccessGroup
		switch {
		case assigned && tr.Problems == graphsim.ProblemDisabled && fixed.User.ID == "":
			fixed = tr
		case assigned && tr.Problems == 0 && broken.User.ID == "":
			broken = tr
		}
		return fixed.User.ID == "" || broken.User.ID == ""
	})
	must(t, sim.Tenant().UpdateUser(fixed.User.ID, func(u *graphsim.User) { u.AccountEnabled = true }))
	must(t, sim.Tenant().UpdateUser(broken.User.ID, func(u *graphsim.User) { u.AccountEnabled = false }))
	var want []string
	for _, l := range expected(sim, domain.ScopeAssigned) {
		if l != "user.disabled "+fixed.User.UserPrincipalName {
			want = append(want, l)
		}
	}
	want = sortStrings(append(want, "user.disabled "+broken.User.UserPrincipalName))

	second := f.run(t, audit.Request{})
	x = index()
	if second.Mode != audit.ModeDelta || len(second.Findings) != 1 || len(x.Runs) != 2 || x.Runs[1].RunID != second.RunID {
		t.Fatalf("second run %s with %d findings; index %+v", second.Mode, len(second.Findings), x.Runs)
	}
	data, err := reports.ReadReportFile(context.Background(), x.Runs[1].Report, audit.OpenListFile)
	var open audit.OpenList
	if err != nil || json.Unmarshal(data, &open) != nil || open.Truncated {
		t.Fatalf("open list: %v truncated=%v", err, open.Truncated)
	}
	var got []string
	for _, f := range open.Findings {
		got = append(got, string(f.Kind)+" "+f.Subject)
	}
	diff(t, "open list after the delta run", sortStrings(got), want)
	if x.Runs[1].People != x.Runs[0].People {
		t.Errorf("people = %d after one fixed and one broken, want %d as before", x.Runs[1].People, x.Runs[0].People)
	}
}
