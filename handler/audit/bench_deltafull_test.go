package audit_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/graph/graphrest"
	"github.com/identity-ops/aircall-entra-sso/handler/inmem"
)

// BenchmarkDeltaVsFull is the nightly case: a full audit of BENCH_USERS
// users (default 200,000; scope BENCH_SCOPE, default "assigned", with
// users assigned directly and through groups), then 0.5 % of the users
// change (half get a mail that differs from their UPN, half a new display
// name), 0.1 % of the group memberships change (half the members added to
// an assigned group, half removed from one; none with a problem, so the
// events stay those of the mail changes), and the next run, a delta, is
// compared with the full one: Graph
// requests, resource units and wall time, with BENCH_PAGE_LATENCY
// (default 0) on every request. Target (README, "Performance"): the delta costs ≤ 3 %
// of the full scan.
//
//	go test ./handler/audit -run XXX -bench DeltaVsFull -benchtime 1x
func BenchmarkDeltaVsFull(b *testing.B) {
	n := envInt("BENCH_USERS", 200_000)
	var latency time.Duration
	if d, err := time.ParseDuration(os.Getenv("BENCH_PAGE_LATENCY")); err == nil {
		latency = d
	}
	scope := domain.ScopeAssigned
	if os.Getenv("BENCH_SCOPE") == "all" {
		scope = domain.ScopeAll
	}
	mix := benchMix
	mix.DirectAssigned, mix.GroupAssigned, mix.Groups = 0.3, 0.6, 2
	for i := 0; i < b.N; i++ {
		sim := graphsim.Start(b, graphsim.Options{Seed: 3, Users: n, Mix: mix})
		ten := sim.Tenant()
		ten.SetLatency(latency)
		dir, err := graphrest.New(graphrest.Options{BaseURL: sim.URL(), Credential: sim.Credential(), Pin: ten.Apps()[0].PinFunc(), Owner: graphsim.Caller})
		if err != nil {
			b.Fatal(err)
		}
		sink := &countSink{}
		job := &audit.Job{Directory: dir, Checkpoints: inmem.NewCheckpoints(), Events: sink, Scope: scope,
			Workers: 16, Budget: time.Hour, ProgressEvery: time.Hour}
		cost := func(run func() *audit.Report) (*audit.Report, int, int, time.Duration) {
			before := ten.Stats()
			start := time.Now()
			rep := run()
			wall := time.Since(start)
			after := ten.Stats()
			reqs := 0
			for k, v := range after.Requests {
				reqs += v - before.Requests[k]
			}
			return rep, reqs, after.ResourceUnits - before.ResourceUnits, wall
		}
		runJob := func() *audit.Report {
			rep, err := job.Run(context.Background(), audit.Request{})
			if err != nil || !rep.Complete {
				b.Fatalf("audit: %v (complete %v)", err, rep != nil && rep.Complete)
			}
			return rep
		}
		full, fullReqs, fullRU, fullWall := cost(runJob)
		if full.Mode != audit.ModeFull {
			b.Fatalf("first run: mode %s, want full", full.Mode)
		}
		fullEvents := sink.n.Load()

		// 0.5 % of the users change; half of them, fine before, now have a
		// mail that differs from their UPN: exactly those are new findings
		// (in scope assigned, only the assigned ones).
		changed, mismatched := n/200, 0
		var picked []graphsim.Truth
		ten.EachTruth(func(tr graphsim.Truth) bool {
			if tr.Problems == 0 && tr.User.Mail != "" {
				picked = append(picked, tr)
			}
			return len(picked) < changed
		})
		for k, tr := range picked {
			if k%2 == 0 {
				if scope == domain.ScopeAll || tr.Access == graphsim.AccessDirect || tr.Access == graphsim.AccessGroup {
					mismatched++
				}
				err = ten.UpdateUser(tr.User.ID, func(u *graphsim.User) { u.Mail = fmt.Sprintf("renamed.%d@contoso.fr", k) })
			} else {
				err = ten.UpdateUser(tr.User.ID, func(u *graphsim.User) { u.DisplayName += " (moved)" })
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		moved := changeMemberships(b, ten, picked, n*6/10/1000)
		delta, deltaReqs, deltaRU, deltaWall := cost(runJob)
		if delta.Mode != audit.ModeDelta {
			b.Fatalf("second run: mode %s, want delta", delta.Mode)
		}
		if got := sink.n.Load() - fullEvents; got != int64(mismatched) {
			b.Fatalf("the delta run published %d events, want %d (one per user whose mail now differs)", got, mismatched)
		}
		b.ReportMetric(float64(len(picked)), "changed-users")
		b.ReportMetric(float64(moved), "changed-memberships")
		b.ReportMetric(float64(fullReqs), "full-requests")
		b.ReportMetric(float64(deltaReqs), "delta-requests")
		b.ReportMetric(float64(deltaReqs)/float64(fullReqs), "delta-requests/full-requests")
		b.ReportMetric(float64(fullRU), "full-RU-units")
		b.ReportMetric(float64(deltaRU), "delta-RU-units")
		b.ReportMetric(float64(deltaRU)/float64(fullRU), "delta-RU/full-RU")
		b.ReportMetric(fullWall.Seconds(), "full-wall-s")
		b.ReportMetric(deltaWall.Seconds(), "delta-wall-s")
		b.ReportMetric(deltaWall.Seconds()/fullWall.Seconds(), "delta-wall/full-wall")
		b.Logf("full: %d requests, %d RU, %v, %d pages; delta: %d requests, %d RU, %v, %d users read",
			fullReqs, fullRU, fullWall, full.Pages, deltaReqs, deltaRU, deltaWall, delta.UsersScanned)
		sim.Close()
	}
}

// changeMemberships adds count/2 users without access to an assigned group
// and removes count/2 group members, none of them among skip and none with
// a problem; it returns how many memberships changed.
func changeMemberships(b *testing.B, ten *graphsim.Tenant, skip []graphsim.Truth, count int) int {
	b.Helper()
	taken := map[string]bool{}
	for _, tr := range skip {
		taken[tr.User.ID] = true
	}
	var group string
	var add, remove []graphsim.Truth
	ten.EachTruth(func(tr graphsim.Truth) bool {
		if taken[tr.User.ID] || tr.Problems != 0 {
			return true
		}
		switch {
		case tr.Access == graphsim.AccessGroup && len(remove) < count/2:
			remove = append(remove, tr)
			if group == "" {
				group = tr.Group
			}
		case tr.Access == graphsim.AccessNone && len(add) < count-count/2:
			add = append(add, tr)
		}
		return len(add) < count-count/2 || len(remove) < count/2
	})
	for _, tr := range remove {
		if err := ten.RemoveMember(tr.Group, tr.User.ID); err != nil {
			b.Fatal(err)
		}
	}
	for _, tr := range add {
		if err := ten.AddMember(group, tr.User.ID); err != nil {
			b.Fatal(err)
		}
	}
	return len(add) + len(remove)
}
