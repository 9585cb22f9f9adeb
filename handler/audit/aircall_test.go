package audit_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/identity-ops/aircall-entra-sso/devenv/aircallsim"
	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/aircall"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/lookup"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

// aircallPair is a seeded pair of directories: the simulated Entra tenant
// and an Aircall company mirrored from part of it (aircallsim.Mirror), with
// the findings the Aircall pass must raise, derived from the generators'
// ground truth, not from package rules.
type aircallPair struct {
	f    *fixture
	air  *aircallsim.Server
	snap *inmem.AircallSnapshots
	want []string
}

func newAircallPair(t *testing.T, seed int64, users int) *aircallPair {
	t.Helper()
	sim := graphsim.Start(t, graphsim.Options{Seed: seed, Users: users, Mix: problemMix})
	f := newFixture(t, sim, domain.ScopeAssigned)
	var truths []graphsim.Truth
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		if tr.Index%3 != 0 { // every third person of the tenant has Aircall
			truths = append(truths, tr)
		}
		return true
	})
	people := make([]aircallsim.Person, len(truths))
	for i, tr := range truths {
		people[i] = aircallsim.Person{UPN: tr.User.UserPrincipalName, Mail: tr.User.Mail, Name: tr.User.DisplayName}
	}
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	company, origins := aircallsim.Mirror(seed, people, aircallsim.Drift{Mail: 0.3, Missing: 0.15, Case: 0.2, Extra: 7}, 1000, start)
	// One person without a mirrored Aircall user is reachable only through
	// an SMTP alias in proxyAddresses (read with $select from graphsim).
	var aliasUPN, alias string
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		if tr.Index%3 == 0 && tr.User.AccountEnabled && tr.Access == graphsim.AccessDirect {
			aliasUPN, alias = tr.User.UserPrincipalName, fmt.Sprintf("alias.%d@sales.contoso.example", tr.Index)
			if err := sim.Tenant().UpdateUser(tr.User.ID, func(u *graphsim.User) {
				u.ProxyAddresses = append(u.ProxyAddresses, "smtp:"+alias)
			}); err != nil {
				t.Fatal(err)
			}
			return false
		}
		return true
	})
	company = append(company, aircallsim.User{ID: 999_999, Name: "Alias", Email: strings.ToUpper(alias), CreatedAt: start})
	air := aircallsim.New(aircallsim.Options{Users: company, Limit: 100000, Window: time.Second})
	if err := air.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(air.Close)
	client, err := aircall.New(aircall.Options{BaseURL: air.URL(), APIID: air.APIID(), APIToken: air.APIToken(), RateLimit: 10000, RateWindow: time.Second,
		Retry: policy.RetryOptions{MaxRetries: 10, RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 5 * time.Second, TryTimeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	p := &aircallPair{f: f, air: air, snap: &inmem.AircallSnapshots{}}
	f.job.Aircall, f.job.AircallSnapshots = client, p.snap
	p.want = expectAircall(sim, truths, company, origins)
	for i, l := range p.want {
		if l == "aircall.user-missing "+aliasUPN {
			p.want[i] = "aircall.email-differs " + aliasUPN
		}
	}
	p.want = slices.DeleteFunc(p.want, func(l string) bool { return l == "aircall.no-entra-access "+strings.ToUpper(alias) })
	sort.Strings(p.want)
	return p
}

// expectAircall: the claim comes from the UPN (graphsim's app). An enabled,
// assigned person whose Aircall user has the UPN (any letter case) is fine;
// one whose Aircall user has a mail that differs from the UPN is
// email-differs; one without an Aircall user is user-missing, unless an
// Aircall user has their mail or an SMTP proxy address (the generator
// reuses some addresses across people): email-differs. Aircall users no
// enabled, assigned person maps to — those of disabled or unassigned
// people, and the extras — are no-entra-access.
func expectAircall(sim *graphsim.Server, mirrored []graphsim.Truth, company []aircallsim.User, origins []aircallsim.Origin) []string {
	email, byEmail := map[int64]string{}, map[string]int64{}
	for _, u := range company {
		email[u.ID] = u.Email
		byEmail[strings.ToLower(u.Email)] = u.ID
	}
	byUPN := map[string]aircallsim.Origin{}
	for _, o := range origins {
		if o.Person >= 0 {
			byUPN[mirrored[o.Person].User.UserPrincipalName] = o
		}
	}
	matched := map[int64]bool{}
	var out []string
	sim.Tenant().EachTruth(func(tr graphsim.Truth) bool {
		if !tr.User.AccountEnabled || (tr.Access != graphsim.AccessDirect && tr.Access != graphsim.AccessGroup) {
			return true
		}
		upn := tr.User.UserPrincipalName
		o, ok := byUPN[upn]
		switch {
		case ok && o.Kind == "upn", ok && o.Kind == "mail" && strings.EqualFold(tr.User.Mail, upn):
			matched[o.UserID] = true
		case ok && o.Kind == "mail":
			matched[o.UserID] = true
			out = append(out, "aircall.email-differs "+upn)
		default:
			addrs := []string{tr.User.Mail}
			for _, p := range tr.User.ProxyAddresses {
				if len(p) > 5 && strings.EqualFold(p[:5], "smtp:") {
					addrs = append(addrs, p[5:])
				}
			}
			for _, a := range addrs {
				if id, hit := byEmail[strings.ToLower(a)]; hit && a != "" {
					matched[id] = true
					out = append(out, "aircall.email-differs "+upn)
					return true
				}
			}
			out = append(out, "aircall.user-missing "+upn)
		}
		return true
	})
	for _, u := range company {
		if !matched[u.ID] {
			out = append(out, "aircall.no-entra-access "+email[u.ID])
		}
	}
	sort.Strings(out)
	return out
}

// aircallOnly keeps the aircall.* lines.
func aircallOnly(lines []string) []string {
	return slices.DeleteFunc(lines, func(s string) bool { return !strings.HasPrefix(s, "aircall.") })
}

func TestAircallPassExactFindings(t *testing.T) {
	p := newAircallPair(t, 171, 1800)
	kinds := map[string]int{}
	for _, l := range p.want {
		kinds[l[:strings.IndexByte(l, ' ')]]++
	}
	if len(kinds) != 3 {
		t.Fatalf("the seeded pair lacks a kind: %v", kinds)
	}
	rep := p.f.run(t, audit.Request{})
	diff(t, "Aircall findings of the first run", aircallOnly(p.f.sink.take(t)), p.want)
	for k, n := range kinds {
		if rep.Counts[domain.FindingKind(k)] != n {
			t.Errorf("report counts %s = %d, want %d", k, rep.Counts[domain.FindingKind(k)], n)
		}
	}
	if p.snap.Saves != 1 {
		t.Errorf("the snapshot was saved %d times, want once", p.snap.Saves)
	}

	// A delta and a full rerun publish nothing and keep every finding open.
	for _, req := range []audit.Request{{}, {Full: true}} {
		rep := p.f.run(t, req)
		if got := p.f.sink.take(t); len(got) != 0 {
			t.Errorf("rerun %+v published %d events: %v", req, len(got), got[:min(len(got), 3)])
		}
		for k, n := range kinds {
			if rep.Counts[domain.FindingKind(k)] != n {
				t.Errorf("rerun %+v: open %s = %d, want %d", req, k, rep.Counts[domain.FindingKind(k)], n)
			}
		}
	}
}

// 429s, 503s and connection resets from Aircall change no finding.
func TestAircallPassFaultsChangeNoFinding(t *testing.T) {
	p := newAircallPair(t, 173, 1200)
	p.air.FailNext(2, 429)
	p.air.FailNext(1, 0) // a reset
	p.air.FailNext(1, 503)
	p.air.InjectFaults(aircallsim.FaultSpec{Rate429: 0.15, Rate503: 0.1, RateReset: 0.15, Seed: 5})
	rep := p.f.run(t, audit.Request{})
	if len(rep.Notes) > 0 {
		t.Logf("notes: %q", rep.Notes)
	}
	diff(t, "Aircall findings with faults", aircallOnly(p.f.sink.take(t)), p.want)
	st := p.air.Stats()
	if st.Injected["429"] == 0 || st.Injected["503"] == 0 || st.Injected["reset"] == 0 {
		t.Errorf("faults injected: %v, want each kind", st.Injected)
	}
}

// aircall-check finds the same, alone, and publishes nothing.
func TestAircallCheckAlone(t *testing.T) {
	p := newAircallPair(t, 175, 900)
	rep, err := p.f.job.AircallCheck(context.Background(), audit.AircallCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, string(f.Kind)+" "+f.Subject)
	}
	sort.Strings(got)
	diff(t, "aircall-check findings", got, p.want)
	if ev := p.f.sink.take(t); len(ev) != 0 {
		t.Errorf("aircall-check published %d events", len(ev))
	}
	if rep.Refresh != "full" || rep.AircallUsers == 0 {
		t.Errorf("refresh %q, %d Aircall users", rep.Refresh, rep.AircallUsers)
	}
}

// Without credentials the Aircall checks are off and the report says so.
func TestAircallOffIsNoted(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 9, Users: 300, Mix: problemMix})
	f := newFixture(t, sim, domain.ScopeAssigned)
	rep := f.run(t, audit.Request{})
	if !slices.Contains(rep.Notes, audit.NoteAircallOff) {
		t.Errorf("notes %q lack %q", rep.Notes, audit.NoteAircallOff)
	}
	if got := aircallOnly(f.sink.take(t)); len(got) != 0 {
		t.Errorf("Aircall findings without credentials: %v", got)
	}
}

// A full run spread over several invocations keeps who maps to which
// Aircall user between them (the saved marks) and finds exactly the same.
func TestAircallPassOverInvocations(t *testing.T) {
	p := newAircallPair(t, 177, 5000)
	var clock atomic.Int64 // minutes
	p.f.job.Now = func() time.Time {
		return time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC).Add(time.Duration(clock.Load()) * time.Minute)
	}
	p.f.job.Budget = 10 * time.Minute
	p.f.job.Directory = &ticker{BulkDirectory: p.f.bulk, clock: &clock}
	invocations := 0
	for rep := (*audit.Report)(nil); rep == nil || !rep.Complete; invocations++ {
		if invocations > 20 {
			t.Fatal("the run never completed")
		}
		rep = p.f.run(t, audit.Request{})
	}
	if invocations < 3 {
		t.Fatalf("the run took %d invocations; make the budget smaller", invocations)
	}
	diff(t, "Aircall findings over invocations", aircallOnly(p.f.sink.take(t)), p.want)
	if p.snap.Saves != 1 {
		t.Errorf("the Aircall snapshot was refreshed %d times in one run, want once", p.snap.Saves)
	}
}

// An invocation that ended without saving its marks (killed) makes the
// run keep the open no-entra-access findings rather than guess.
func TestAircallLostMarksDecideNothing(t *testing.T) {
	p := newAircallPair(t, 179, 5000)
	p.f.run(t, audit.Request{})
	var open []string
	for _, l := range p.f.sink.take(t) {
		if strings.HasPrefix(l, "aircall.no-entra-access ") {
			open = append(open, l)
		}
	}
	var clock atomic.Int64
	p.f.job.Now = func() time.Time {
		return time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC).Add(time.Duration(clock.Load()) * time.Minute)
	}
	p.f.job.Budget = 10 * time.Minute
	p.f.job.Directory = &ticker{BulkDirectory: p.f.bulk, clock: &clock}
	rep := p.f.run(t, audit.Request{Full: true})
	if rep.Complete {
		t.Fatal("the full run fitted one invocation; make the budget smaller")
	}
	if err := p.f.store.Delete(context.Background(), "audit/aircall-marks"); err != nil { // as if killed before saving
		t.Fatal(err)
	}
	// A guess would take the Aircall users of the people the first
	// invocation read for users without Entra access.
	for rep = nil; rep == nil || !rep.Complete; {
		rep = p.f.run(t, audit.Request{})
	}
	if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "were not decided this run") }) {
		t.Errorf("notes %q do not say no-entra-access was not decided", rep.Notes)
	}
	if got := rep.Counts[domain.FindingAircallNoEntraAccess]; got != len(open) {
		t.Errorf("open no-entra-access after the lost marks: %d, want the %d kept", got, len(open))
	}
	got := slices.DeleteFunc(aircallOnly(p.f.sink.take(t)), func(s string) bool { return !strings.HasPrefix(s, "aircall.no-entra-access") })
	if len(got) > 0 {
		t.Errorf("%d no-entra-access published on a guess, e.g. %v", len(got), got[:min(len(got), 3)])
	}
}

// Aircall down at the next run: the stored snapshot is used, the report
// says so, and no finding changes.
func TestAircallDownUsesStoredSnapshot(t *testing.T) {
	p := newAircallPair(t, 181, 900)
	first := p.f.run(t, audit.Request{})
	p.f.sink.take(t)
	p.air.FailNext(1000, 503)
	rep := p.f.run(t, audit.Request{Full: true})
	if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "the Aircall snapshot was not refreshed") }) {
		t.Errorf("notes %q do not say the snapshot was not refreshed", rep.Notes)
	}
	if got := p.f.sink.take(t); len(got) != 0 {
		t.Errorf("the run with Aircall down published %d events", len(got))
	}
	for _, k := range []domain.FindingKind{domain.FindingAircallEmailDiffers, domain.FindingAircallUserMissing, domain.FindingAircallNoEntraAccess} {
		if rep.Counts[k] != first.Counts[k] || first.Counts[k] == 0 {
			t.Errorf("open %s: %d, first run %d", k, rep.Counts[k], first.Counts[k])
		}
	}
}

// A delta run reads only changed Entra users; Aircall users created since
// the last run are looked up (by UPN or mail) so their people are checked
// again: one created with a person's mail raises email-differs at once, one
// created with a person's claim value closes their user-missing.
func TestAircallDeltaChecksPeopleOfNewAircallUsers(t *testing.T) {
	p := newAircallPair(t, 183, 1500)
	dir, err := lookup.New(lookup.Options{BaseURL: p.f.sim.URL(), Credential: p.f.sim.Credential(), CacheFor: time.Nanosecond,
		Pin: p.f.sim.Tenant().FirstAppPin, Owner: graphsim.Caller,
		ClientOptions: policy.ClientOptions{Retry: fastRetry()}})
	if err != nil {
		t.Fatal(err)
	}
	p.f.job.People = dir
	first := p.f.run(t, audit.Request{})
	p.f.sink.take(t)
	var withMail, fixed graphsim.User
	for _, l := range p.want {
		upn, ok := strings.CutPrefix(l, "aircall.user-missing ")
		if !ok {
			continue
		}
		u, _ := p.f.sim.Tenant().User(upn)
		switch {
		case withMail.ID == "" && u.Mail != "" && !strings.EqualFold(u.Mail, upn) && !strings.Contains(upn, "#EXT#"):
			withMail = u
		case fixed.ID == "" && u.Mail != "":
			fixed = u
		}
	}
	if withMail.ID == "" || fixed.ID == "" {
		t.Fatal("the seeded pair has no user-missing person with a mail that differs from the UPN")
	}
	now := time.Now().UTC().Truncate(time.Second)
	p.air.PutUsers(aircallsim.User{ID: 800_001, Email: withMail.Mail, CreatedAt: now},
		aircallsim.User{ID: 800_002, Email: strings.ToUpper(fixed.UserPrincipalName), CreatedAt: now})

	rep := p.f.run(t, audit.Request{})
	if rep.Mode != audit.ModeDelta {
		t.Fatalf("second run is %s, want a delta", rep.Mode)
	}
	diff(t, "events of the delta run", aircallOnly(p.f.sink.take(t)), []string{"aircall.email-differs " + withMail.UserPrincipalName})
	if got, want := rep.Counts[domain.FindingAircallUserMissing], first.Counts[domain.FindingAircallUserMissing]-2; got != want {
		t.Errorf("open user-missing after the delta: %d, want %d", got, want)
	}
	if got, want := rep.Counts[domain.FindingAircallEmailDiffers], first.Counts[domain.FindingAircallEmailDiffers]+1; got != want {
		t.Errorf("open email-differs after the delta: %d, want %d", got, want)
	}
	// The people's other findings are kept: a full rerun publishes nothing.
	p.f.run(t, audit.Request{Full: true})
	if got := p.f.sink.take(t); len(got) != 0 {
		t.Errorf("the full rerun published %v", got[:min(len(got), 3)])
	}
}

// Refused credentials turn the checks off for the run, with a note that
// names the settings and never the secret.
func TestAircallRefusedCredentialsNoted(t *testing.T) {
	p := newAircallPair(t, 185, 300)
	bad, err := aircall.New(aircall.Options{BaseURL: p.air.URL(), APIID: p.air.APIID(), APIToken: "wrong-token-5f2c9a", RateLimit: 10000, RateWindow: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p.f.job.Aircall = bad
	rep := p.f.run(t, audit.Request{})
	var note string
	for _, n := range rep.Notes {
		if strings.Contains(n, "Aircall checks could not run") {
			note = n
		}
	}
	if note == "" || !strings.Contains(note, "AIRCALL_API_ID") || strings.Contains(note, "wrong-token-5f2c9a") {
		t.Errorf("notes %q: want one naming AIRCALL_API_ID without the token", rep.Notes)
	}
	if got := aircallOnly(p.f.sink.take(t)); len(got) != 0 {
		t.Errorf("Aircall findings with refused credentials: %v", got[:min(len(got), 3)])
	}
}

// handler aircall-check refreshing the snapshot in the middle of a full run
// makes the run's marks untrustworthy: no-entra-access is not decided.
func TestAircallSnapshotChangedMidRun(t *testing.T) {
	p := newAircallPair(t, 187, 5000)
	var clock atomic.Int64
	p.f.job.Now = func() time.Time {
		return time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC).Add(time.Duration(clock.Load()) * time.Minute)
	}
	p.f.job.Budget = 10 * time.Minute
	p.f.job.Directory = &ticker{BulkDirectory: p.f.bulk, clock: &clock}
	if rep := p.f.run(t, audit.Request{}); rep.Complete {
		t.Fatal("the full run fitted one invocation; make the budget smaller")
	}
	p.f.job.Directory = p.f.bulk // aircall-check reads every user at once
	if _, err := p.f.job.AircallCheck(context.Background(), audit.AircallCheckRequest{FullRefresh: true}); err != nil {
		t.Fatal(err)
	}
	p.f.job.Directory = &ticker{BulkDirectory: p.f.bulk, clock: &clock}
	var rep *audit.Report
	for i := 0; rep == nil || !rep.Complete; i++ {
		if i > 20 {
			t.Fatal("the run never completed")
		}
		rep = p.f.run(t, audit.Request{})
	}
	if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "were not decided this run") }) {
		t.Errorf("notes %q do not say no-entra-access was not decided", rep.Notes)
	}
	if got := slices.DeleteFunc(aircallOnly(p.f.sink.take(t)), func(s string) bool { return !strings.HasPrefix(s, "aircall.no-entra-access") }); len(got) > 0 {
		t.Errorf("%d no-entra-access published against a changed snapshot", len(got))
	}
}
