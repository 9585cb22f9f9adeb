package audit_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/devenv/graphsim"
	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// sequentialOnly hides the directory's range reads of group members, so
// the audit reads every group one page after another (the reference).
type sequentialOnly struct{ domain.BulkDirectory }

const castRoute = "GET /v1.0/groups/{id}/members/microsoft.graph.user"

// groupShape is a seeded tenant for the group-member comparisons.
type groupShape struct {
	name  string
	users int
	mix   graphsim.Mix
	// edit changes the tenant after seeding (explicit memberships).
	edit func(t *testing.T, ten *graphsim.Tenant)
}

func groupShapes() []groupShape {
	return []groupShape{
		{name: "one huge group", users: 6000, mix: graphsim.Mix{UPNMismatch: 0.05, MailMissing: 0.03, Guests: 0.04, Disabled: 0.02,
			DirectAssigned: 0.05, GroupAssigned: 0.85, NestedOnly: 0.05, Groups: 1}},
		{name: "many small groups", users: 4000, mix: graphsim.Mix{UPNMismatch: 0.05, MailMissing: 0.03, Disabled: 0.02,
			DirectAssigned: 0.1, GroupAssigned: 0.6, Groups: 12}},
		{name: "direct and group, nested assigned group", users: 5000, mix: problemMix, edit: bothWays},
	}
}

// bothWays makes some directly assigned users members of an assigned group
// too, adds unassigned users to a large assigned group one by one, and
// assigns a new group that is also nested in an assigned group:
// its members count through its own assignment, never through the nesting.
func bothWays(t *testing.T, ten *graphsim.Tenant) {
	t.Helper()
	var sp, firstGroup string
	for _, a := range ten.Apps() {
		sp = a.SPID
	}
	var direct, none []string
	ten.EachTruth(func(tr graphsim.Truth) bool {
		switch {
		case tr.Access == graphsim.AccessGroup && firstGroup == "":
			firstGroup = tr.Group
		case tr.Access == graphsim.AccessDirect && len(direct) < 40:
			direct = append(direct, tr.User.ID)
		case tr.Access == graphsim.AccessNone && len(none) < 60:
			none = append(none, tr.User.ID)
		}
		return true
	})
	for _, id := range direct {
		if err := ten.AddMember(firstGroup, id); err != nil {
			t.Fatal(err)
		}
	}
	h := ten.AddGroup("Assigned and nested")
	for k, id := range none {
		g := h
		if k%2 == 0 {
			g = firstGroup // added one by one to a large group
		}
		if err := ten.AddMember(g, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := ten.AddMember(firstGroup, h); err != nil {
		t.Fatal(err)
	}
	if err := ten.Assign(sp, h); err != nil {
		t.Fatal(err)
	}
}

// scanShape runs one full scope-assigned audit of the shape and returns
// its events and the simulator's request counts.
func scanShape(t *testing.T, sh groupShape, ranged bool, faults bool) ([]string, map[string]int) {
	t.Helper()
	sim := graphsim.Start(t, graphsim.Options{Seed: 77, Users: sh.users, Mix: sh.mix})
	if sh.edit != nil {
		sh.edit(t, sim.Tenant())
	}
	if faults {
		onMembers := func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/members") }
		sim.Tenant().InjectFaults(graphsim.FaultSpec{Rate429: 0.08, Rate503: 0.02, RateReset: 0.02, RetryAfter: 1, Seed: 9, Match: onMembers})
		sim.Tenant().FailNext(2, 0, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/microsoft.graph.user") })
	}
	f := newFixture(t, sim, domain.ScopeAssigned)
	f.job.SmallTenant = 400 // groups over 400 users are read in ranges
	if !ranged {
		f.job.Directory = sequentialOnly{f.bulk}
	}
	rep := f.run(t, audit.Request{})
	if !rep.Complete {
		t.Fatalf("%s: the run did not complete", sh.name)
	}
	st := sim.Tenant().Stats()
	if faults && st.Injected["reset"] == 0 {
		t.Fatalf("%s: no reset was injected: %v", sh.name, st.Injected)
	}
	return f.sink.take(t), st.Requests
}

// TestGroupRangesSameFindings: reading large groups' members in ranges
// (the documented cast with a userPrincipalName filter, as an advanced
// query) finds exactly what reading them page after page finds, for one
// huge group, many small groups, users both assigned and group members,
// and an assigned group nested in another (nested groups do not count);
// 429s, 503s and resets on the member reads change no finding.
func TestGroupRangesSameFindings(t *testing.T) {
	for _, sh := range groupShapes() {
		t.Run(sh.name, func(t *testing.T) {
			want, seqReqs := scanShape(t, sh, false, false)
			if seqReqs[castRoute] != 0 {
				t.Fatalf("the sequential reference used the cast route %d times", seqReqs[castRoute])
			}
			if len(want) == 0 {
				t.Fatal("the reference found nothing")
			}
			got, reqs := scanShape(t, sh, true, false)
			diff(t, "ranged against sequential", got, want)
			if sh.name == "one huge group" && reqs[castRoute] == 0 {
				t.Error("the huge group was not read in ranges")
			}
			if sh.edit == nil {
				diff(t, "against the generator's truth", got, expected(graphsim.Start(t, graphsim.Options{Seed: 77, Users: sh.users, Mix: sh.mix}), domain.ScopeAssigned))
			}
			faulted, _ := scanShape(t, sh, true, true)
			diff(t, "ranged under faults against sequential", faulted, want)
		})
	}
}

// TestMembershipChangeSeenByDelta: someone added to an assigned group
// after the last full scan is checked by the next delta run (groups/delta
// with members@delta), and someone removed leaves the scope: their open
// findings close, so adding them back publishes them again.
func TestMembershipChangeSeenByDelta(t *testing.T) {
	sim := graphsim.Start(t, graphsim.Options{Seed: 12, Users: 2500, Mix: problemMix})
	ten := sim.Tenant()
	f := newFixture(t, sim, domain.ScopeAssigned)
	f.run(t, audit.Request{})
	f.sink.take(t)
	var group string
	var outsider, member graphsim.Truth
	ten.EachTruth(func(tr graphsim.Truth) bool {
		switch {
		case tr.Access == graphsim.AccessGroup && group == "":
			group = tr.Group
		case tr.Access == graphsim.AccessNone && tr.Problems&graphsim.ProblemUPNMismatch != 0 && outsider.User.ID == "":
			outsider = tr
		}
		return true
	})
	ten.EachTruth(func(tr graphsim.Truth) bool {
		if tr.Access == graphsim.AccessGroup && tr.Group == group && tr.Problems == graphsim.ProblemUPNMismatch {
			member = tr
			return false
		}
		return true
	})
	if group == "" || outsider.User.ID == "" || member.User.ID == "" {
		t.Fatal("the seed has no suitable users")
	}
	if err := ten.AddMember(group, outsider.User.ID); err != nil {
		t.Fatal(err)
	}
	if err := ten.RemoveMember(group, member.User.ID); err != nil {
		t.Fatal(err)
	}
	ten.ResetStats()
	rep := f.run(t, audit.Request{})
	if rep.Mode != audit.ModeDelta {
		t.Fatalf("second run: mode %s, want delta", rep.Mode)
	}
	if n := ten.Stats().Requests["GET /v1.0/groups/delta"]; n == 0 {
		t.Error("the delta run did not follow the groups/delta link")
	}
	want := []string{"user.upn-mismatch " + outsider.User.UserPrincipalName}
	diff(t, "events after the membership change", f.sink.take(t), want)

	// The removed member's finding was closed: adding them back is news
	// (the same event id: Service Bus drops it only within its duplicate
	// detection window).
	f.sink.forget()
	if err := ten.AddMember(group, member.User.ID); err != nil {
		t.Fatal(err)
	}
	f.run(t, audit.Request{})
	diff(t, "events after adding the member back", f.sink.take(t), []string{"user.upn-mismatch " + member.User.UserPrincipalName})
}
