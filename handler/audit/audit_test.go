package audit_test

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

func TestKnownProblemsExactlyOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		users int
		scope domain.AuditScope
	}{
		{"assigned, one range", 1200, domain.ScopeAssigned},
		{"assigned, sharded", 6000, domain.ScopeAssigned},
		{"all, sharded", 6000, domain.ScopeAll},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := graphsim.Start(t, graphsim.Options{Seed: 11, Users: tc.users, Mix: problemMix})
			f := newFixture(t, sim, tc.scope)
			want := expected(sim, tc.scope)
			if len(want) < 100 {
				t.Fatalf("the tenant has only %d problems: the mix is wrong", len(want))
			}
			rep := f.run(t, audit.Request{})
			if !rep.Complete || rep.Mode != audit.ModeFull {
				t.Fatalf("first run: complete=%v mode=%s, want a complete full run", rep.Complete, rep.Mode)
			}
			if rep.UsersScanned != int64(tc.users) {
				t.Errorf("scanned %d users, want each of the %d exactly once", rep.UsersScanned, tc.users)
			}
			if tc.users > 1500 && rep.Shards < 2 {
				t.Errorf("a %d-user tenant was read in %d shard(s)", tc.users, rep.Shards)
			}
			diff(t, "events of the first run", f.sink.take(t), want)
			if rep.Published != len(want) {
				t.Errorf("report says %d published, want %d", rep.Published, len(want))
			}
			total := 0
			for _, n := range rep.Counts {
				total += n
			}
			if total != len(want) {
				t.Errorf("report counts %d open findings, want %d", total, len(want))
			}

			// A rerun (delta, then a forced full scan) delivers nothing twice.
			rep = f.run(t, audit.Request{})
			if rep.Mode != audit.ModeDelta {
				t.Errorf("second run mode %s, want delta", rep.Mode)
			}
			if got := f.sink.take(t); len(got) != 0 {
				t.Errorf("delta rerun published %d events: %v", len(got), got[:min(5, len(got))])
			}
			rep = f.run(t, audit.Request{Full: true})
			if got := f.sink.take(t); len(got) != 0 || rep.Published != 0 {
				t.Errorf("full rerun published %d events: %v", len(got), got[:min(5, len(got))])
			}
		})
	}
}

func TestDeltaReportsOnlyChangedUsers(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 21, Users: 3000, Mix: problemMix})
	f := newFixture(t, sim, domain.ScopeAssigned)
	f.run(t, audit.Request{})
	f.sink.take(t)

	// Three assigned users without problems: one gets a different mail,
	// one loses it, one is disabled.
	var picked []graphsim.Truth
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		if tr.Problems == 0 && (tr.Access == graphsim.AccessDirect || tr.Access == graphsim.AccessGroup) {
			picked = append(picked, tr)
		}
		return len(picked) < 3
	})
	tn := sim.Tenant()
	must(t, tn.UpdateUser(picked[0].User.ID, func(u *graphsim.User) { u.Mail = "someone.else@contoso.fr" }))
	must(t, tn.UpdateUser(picked[1].User.ID, func(u *graphsim.User) { u.Mail = "" }))
	must(t, tn.UpdateUser(picked[2].User.ID, func(u *graphsim.User) { u.AccountEnabled = false }))
	tn.ResetStats()

	rep := f.run(t, audit.Request{})
	if rep.Mode != audit.ModeDelta || !rep.Complete {
		t.Fatalf("mode %s complete %v, want a complete delta run", rep.Mode, rep.Complete)
	}
	want := []string{
		"user.disabled " + picked[2].User.UserPrincipalName,
		"user.mail-missing " + picked[1].User.UserPrincipalName,
		"user.upn-mismatch " + picked[0].User.UserPrincipalName,
	}
	diff(t, "delta events", f.sink.take(t), sortStrings(want))
	if rep.UsersScanned != 3 {
		t.Errorf("delta read %d users, want 3", rep.UsersScanned)
	}
	if n := tn.Stats().Requests["GET /v1.0/users"]; n != 0 {
		t.Errorf("the delta run listed users %d time(s), want only users/delta", n)
	}

	// Fixing one of them and breaking it the same way again republishes it
	// (the problem went away, then came back).
	must(t, tn.UpdateUser(picked[2].User.ID, func(u *graphsim.User) { u.AccountEnabled = true }))
	f.run(t, audit.Request{})
	if got := f.sink.take(t); len(got) != 0 {
		t.Errorf("fixing a user published %v", got)
	}
	must(t, tn.UpdateUser(picked[2].User.ID, func(u *graphsim.User) { u.AccountEnabled = false }))
	f.sink.forget() // the same problem again has the same event id, by design
	f.run(t, audit.Request{})
	diff(t, "problem back", f.sink.take(t), []string{"user.disabled " + picked[2].User.UserPrincipalName})
}

func TestScopeChangeForcesFullScan(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 35, Users: 1200, Mix: problemMix})
	f := newFixture(t, sim, domain.ScopeAssigned)
	f.run(t, audit.Request{})
	f.sink.take(t)
	f.job.Scope = domain.ScopeAll
	rep := f.run(t, audit.Request{})
	if rep.Mode != audit.ModeFull {
		t.Fatalf("after a scope change the run is %s, want full", rep.Mode)
	}
	// Only what scope "all" adds is new: the problems of unassigned users.
	assigned := map[string]bool{}
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		assigned[tr.User.UserPrincipalName] = tr.Access == graphsim.AccessDirect || tr.Access == graphsim.AccessGroup
		return true
	})
	got := f.sink.take(t)
	for _, l := range got {
		if _, upn, _ := strings.Cut(l, " "); assigned[upn] {
			t.Errorf("scope change republished %q", l)
			break
		}
	}
	if len(got) == 0 {
		t.Error("scope all found no unassigned user")
	}
}

// TestExpiredDeltaLinkResyncs: an expired delta link turns the run into a
// full resync whichever documented form Graph answers it in
// (learn.microsoft.com/graph/delta-query-overview: 410 Gone with a
// Location, or a 40X whose nested code is syncStateNotFound).
func TestExpiredDeltaLinkResyncs(t *testing.T) {
	for _, form := range []graphsim.DeltaExpiry{graphsim.DeltaGone, graphsim.DeltaSyncStateNotFound} {
		t.Run(string(form), func(t *testing.T) { expiredDeltaLinkResyncs(t, form) })
	}
}

func expiredDeltaLinkResyncs(t *testing.T, form graphsim.DeltaExpiry) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 31, Users: 2500, Mix: problemMix})
	sim.Tenant().SetDeltaExpiry(form)
	f := newFixture(t, sim, domain.ScopeAssigned)
	f.run(t, audit.Request{})
	want := f.sink.take(t)
	sim.Tenant().ExpireDeltaTokens()
	sim.Tenant().ResetStats()
	rep := f.run(t, audit.Request{})
	if !rep.Resynced || rep.Mode != audit.ModeFull || !rep.Complete {
		t.Fatalf("after 410: resynced=%v mode=%s complete=%v, want a complete full resync", rep.Resynced, rep.Mode, rep.Complete)
	}
	if n := sim.Tenant().Stats().Requests["GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo"]; n == 0 {
		t.Error("the resync used the saved assignment set; a full scan reads who is assigned afresh")
	}
	if got := f.sink.take(t); len(got) != 0 {
		t.Errorf("the resync republished %d events", len(got))
	}
	if rep.UsersScanned != 2500 {
		t.Errorf("resync read %d users, want 2500", rep.UsersScanned)
	}
	// The next run is a delta again, from the resync's link.
	rep = f.run(t, audit.Request{})
	if rep.Mode != audit.ModeDelta || rep.Resynced {
		t.Errorf("after the resync: mode %s resynced %v, want a plain delta", rep.Mode, rep.Resynced)
	}
	if len(want) == 0 {
		t.Fatal("no findings in the first run")
	}
}

func TestFaultsChangeNoFinding(t *testing.T) {
	clean := graphsim.Start(t, graphsim.Options{Seed: 41, Users: 4000, Mix: problemMix})
	cf := newFixture(t, clean, domain.ScopeAll)
	cf.run(t, audit.Request{})
	want := cf.sink.take(t)

	sim := graphsim.Start(t, graphsim.Options{Seed: 41, Users: 4000, Mix: problemMix})
	sim.Tenant().InjectFaults(graphsim.FaultSpec{Rate429: 0.10, Rate503: 0.02, RateReset: 0.01, RetryAfter: 1, Seed: 5})
	// And for certain, whatever the draws: two 503s and two resets on pages.
	onUsers := func(r *http.Request) bool { return r.URL.Path == "/v1.0/users" && r.URL.Query().Get("$top") != "1" }
	sim.Tenant().FailNext(2, http.StatusServiceUnavailable, onUsers)
	sim.Tenant().FailNext(2, 0, onUsers)
	f := newFixture(t, sim, domain.ScopeAll)
	rep := f.run(t, audit.Request{})
	st := sim.Tenant().Stats()
	if st.Injected["429"] == 0 || st.Injected["503"] < 2 || st.Injected["reset"] < 2 {
		t.Fatalf("no faults were injected: %v", st.Injected)
	}
	diff(t, "events under faults", f.sink.take(t), want)
	if rep.UsersScanned != 4000 {
		t.Errorf("scanned %d users under faults, want 4000", rep.UsersScanned)
	}
	t.Logf("injected %v; %d pages", st.Injected, rep.Pages)
}

// cutter cancels the run's context after n pages of users.
type cutter struct {
	domain.BulkDirectory
	n      int64
	cancel context.CancelFunc
}

func (c *cutter) ListUsers(ctx context.Context, r domain.UserRange, link string, fn func(*domain.User) error) (domain.PageInfo, error) {
	if atomic.AddInt64(&c.n, -1) < 0 {
		c.cancel()
	}
	return c.BulkDirectory.ListUsers(ctx, r, link, fn)
}

func TestKilledMidScanResumes(t *testing.T) {
	// Segments of 8 findings: the interrupted invocations leave several.
	defer audit.SetSegmentRecords(8)()
	sim := graphsim.Start(t, graphsim.Options{Seed: 51, Users: 6000, Mix: problemMix})
	want := expected(sim, domain.ScopeAssigned)
	f := newFixture(t, sim, domain.ScopeAssigned)
	real := f.job.Directory
	for _, cut := range []int64{3, 7, 2, 11} {
		ctx, cancel := context.WithCancel(context.Background())
		f.job.Directory = &cutter{BulkDirectory: real, n: cut, cancel: cancel}
		_, err := f.job.Run(ctx, audit.Request{})
		cancel()
		if err == nil {
			break
		}
		if !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "cancel") {
			t.Fatalf("interrupted run: %v", err)
		}
	}
	f.job.Directory = real
	segments := 0
	for _, k := range f.store.Keys() {
		if strings.Contains(k, "/run-seen/") {
			segments++
		}
	}
	if segments == 0 {
		t.Errorf("the interrupted invocations left no segment of seen findings: %q", f.store.Keys())
	}
	sim.Tenant().ResetStats()
	rep := f.run(t, audit.Request{})
	if !rep.Complete || rep.Invocation < 2 {
		t.Fatalf("resumed run: complete=%v invocation=%d", rep.Complete, rep.Invocation)
	}
	diff(t, "events over the interrupted invocations", f.sink.take(t), want)
	if rep.UsersScanned < 6000 {
		t.Errorf("the run read %d users in all, want at least 6000", rep.UsersScanned)
	}
	if rep.InvocationUsers >= 6000 {
		t.Errorf("the last invocation read %d users: it started over instead of resuming", rep.InvocationUsers)
	}
	// A second run finds every problem already open: nothing twice.
	rep = f.run(t, audit.Request{Full: true})
	if got := f.sink.take(t); len(got) != 0 || !rep.Complete {
		t.Errorf("a full rerun after the resumed run published %d event(s), want 0", len(got))
	}
	if keys := f.store.Keys(); len(keys) != 3 || keys[0] != "audit/access" || keys[1] != "audit/access-links" || keys[2] != "audit/known" {
		t.Errorf("after the run the store holds %q; want only the assignment set, its groups/delta links and the open findings (run checkpoint and segments dropped)", keys)
	}
}

func TestTimeBudgetStopsAndNextContinues(t *testing.T) {
	defer audit.SetSegmentRecords(8)()
	sim := graphsim.Start(t, graphsim.Options{Seed: 61, Users: 5000, Mix: problemMix})
	want := expected(sim, domain.ScopeAssigned)
	f := newFixture(t, sim, domain.ScopeAssigned)
	var clock atomic.Int64 // minutes
	f.job.Now = func() time.Time {
		return time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC).Add(time.Duration(clock.Load()) * time.Minute)
	}
	f.job.Budget = 10 * time.Minute
	f.job.Directory = &ticker{BulkDirectory: f.bulk, clock: &clock}
	invocations := 0
	for {
		invocations++
		rep := f.run(t, audit.Request{})
		if rep.Complete {
			break
		}
		if invocations == 1 {
			sim.Tenant().ResetStats()
		}
		if invocations > 20 {
			t.Fatal("the run never completed")
		}
	}
	if invocations < 2 {
		t.Fatalf("the run fitted one invocation; make the budget smaller")
	}
	// Later invocations of the run reuse the assignment set the first read.
	if n := sim.Tenant().Stats().Requests["GET /v1.0/groups/{id}/members"]; n != 0 {
		t.Errorf("invocations 2..%d read group members %d time(s), want 0", invocations, n)
	}
	diff(t, "events over budgeted invocations", f.sink.take(t), want)
}

// ticker advances the fake clock one minute per page.
type ticker struct {
	domain.BulkDirectory
	clock *atomic.Int64
}

func (c *ticker) ListUsers(ctx context.Context, r domain.UserRange, link string, fn func(*domain.User) error) (domain.PageInfo, error) {
	c.clock.Add(1)
	return c.BulkDirectory.ListUsers(ctx, r, link, fn)
}

func TestEventSinkDownStopsWithoutLoss(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 71, Users: 2000, Mix: problemMix})
	want := expected(sim, domain.ScopeAssigned)
	f := newFixture(t, sim, domain.ScopeAssigned)
	f.sink.fail = domain.Errorf(domain.EUNAVAILABLE, "service bus down")
	if _, err := f.job.Run(context.Background(), audit.Request{}); !domain.IsCode(err, domain.EUNAVAILABLE) {
		t.Fatalf("run with the sink down: %v, want EUNAVAILABLE", err)
	}
	f.sink.fail = nil
	f.run(t, audit.Request{})
	diff(t, "events once the sink is back", f.sink.take(t), want)
}

func TestDryRunPublishesAndSavesNothing(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 81, Users: 1500, Mix: problemMix})
	f := newFixture(t, sim, domain.ScopeAssigned)
	rep := f.run(t, audit.Request{DryRun: true})
	if rep.Published == 0 || len(rep.Findings) != rep.Published {
		t.Errorf("dry run reports %d would-be events and %d rows", rep.Published, len(rep.Findings))
	}
	if got := f.sink.take(t); len(got) != 0 {
		t.Errorf("dry run published %d events", len(got))
	}
	rep = f.run(t, audit.Request{})
	if rep.Mode != audit.ModeFull {
		t.Errorf("after a dry run the first real run is %s, want full", rep.Mode)
	}
	diff(t, "events after a dry run", f.sink.take(t), expected(sim, domain.ScopeAssigned))
}

func TestThrottlingBudgetAdapts(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 91, Users: 6000, Mix: problemMix})
	// 20 RU per second: the scan must wait on Graph's Retry-After.
	sim.Tenant().SetBudget(40, 2*time.Second)
	f := newFixture(t, sim, domain.ScopeAll)
	rep := f.run(t, audit.Request{})
	if sim.Tenant().Stats().Throttled == 0 {
		t.Fatal("the simulator never throttled: raise the load or lower the budget")
	}
	diff(t, "events under throttling", f.sink.take(t), expected(sim, domain.ScopeAll))
	if !rep.Complete {
		t.Error("throttled run did not complete")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// TestDeltaUsesTheSavedAssignmentSet: a delta run takes who is assigned
// from the set the last full scan saved (no group member is read again), so
// it never claims "not assigned" from a possibly stale set, keeps that
// finding where it was already open, and a later full scan republishes
// nothing that was open all along.
func TestDeltaUsesTheSavedAssignmentSet(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 23, Users: 3000, Mix: problemMix})
	f := newFixture(t, sim, domain.ScopeAll)
	f.run(t, audit.Request{})
	f.sink.take(t)

	// An unassigned user without other problems (a not-assigned finding is
	// open for them) gets a new display name; another gets a mail that
	// differs from their UPN.
	var unassigned []graphsim.Truth
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		if tr.Problems == 0 && tr.Access == graphsim.AccessNone {
			unassigned = append(unassigned, tr)
		}
		return len(unassigned) < 2
	})
	tn := sim.Tenant()
	must(t, tn.UpdateUser(unassigned[0].User.ID, func(u *graphsim.User) { u.DisplayName += " (moved)" }))
	must(t, tn.UpdateUser(unassigned[1].User.ID, func(u *graphsim.User) { u.Mail = "other.person@contoso.fr" }))
	tn.ResetStats()

	rep := f.run(t, audit.Request{})
	if rep.Mode != audit.ModeDelta {
		t.Fatalf("mode %s, want delta", rep.Mode)
	}
	if n := tn.Stats().Requests["GET /v1.0/groups/{id}/members"] + tn.Stats().Requests["GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo"]; n != 0 {
		t.Errorf("the delta run read assignments or group members %d time(s), want 0 (the saved set)", n)
	}
	diff(t, "delta events", f.sink.take(t), []string{"user.upn-mismatch " + unassigned[1].User.UserPrincipalName})

	// The not-assigned findings stayed open: a full scan publishes nothing.
	f.run(t, audit.Request{Full: true})
	if got := f.sink.take(t); len(got) != 0 {
		t.Errorf("the full scan after the delta republished %v", got)
	}
}

// TestDryRunTakesNoLockAndStoresNoReport: a dry run while the nightly run
// holds the lock still runs (and so never makes the timer's run skip), and
// stores a report only when asked.
func TestDryRunTakesNoLockAndStoresNoReport(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 83, Users: 300, Mix: problemMix})
	f := newFixture(t, sim, domain.ScopeAssigned)
	lock, reports := inmem.NewLock(), inmem.NewReports()
	f.job.Lock, f.job.Reports = lock, reports
	held, err := lock.Acquire(context.Background(), audit.DefaultKey+"/lock", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	rep := f.run(t, audit.Request{DryRun: true})
	if len(rep.Locations) != 0 {
		t.Errorf("a dry run stored its report at %v", rep.Locations)
	}
	rep = f.run(t, audit.Request{DryRun: true, SaveReport: true})
	if len(rep.Locations) == 0 {
		t.Errorf("a dry run with saveReport stored no report")
	}
	if _, err := f.job.Run(context.Background(), audit.Request{}); !errors.Is(err, domain.ErrBusy) {
		t.Errorf("a real run while the lock is held: %v, want busy", err)
	}
	_ = held.Release(context.Background())
}
