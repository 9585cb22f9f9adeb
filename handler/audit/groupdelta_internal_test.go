package audit

import (
	"slices"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// TestMembershipReplaysApplyOnce: delta queries may report a change again
// (learn.microsoft.com/graph/delta-query-overview, "Replays"); with the
// memberships saved, an addition seen twice counts once, so one removal
// takes the user out; a user in two assigned groups keeps access when
// leaving one. The set survives encoding; a set saved in the older format
// (no memberships) still applies changes.
func TestMembershipReplaysApplyOnce(t *testing.T) {
	const g1, g2, ann, bob = "G1", "g2", "ann", "bob"
	a := &access{known: true, saved: true, runID: "r"}
	for _, m := range []struct{ g, u string }{{g1, bob}, {g2, bob}} {
		a.group = insertOne(a.group, subjectHash(m.u))
		a.pairs = append(a.pairs, pairHash(m.g, subjectHash(m.u)))
	}
	slices.Sort(a.pairs)
	change := func(g, u string, removed bool) bool {
		return a.applyChange(domain.MemberChange{GroupID: g, Member: domain.DirectoryMember{ID: u, Type: "user"}, Removed: removed})
	}
	if !change("g1", ann, false) || change(g1, ann, false) {
		t.Fatal("the replayed addition was applied twice (or the first not at all)")
	}
	if !change(g1, ann, true) || a.kind(ann) == domain.AssignmentGroup {
		t.Errorf("after one removal ann is %q, want not group-assigned", a.kind(ann))
	}
	if !change(g1, bob, true) || a.kind(bob) != domain.AssignmentGroup {
		t.Errorf("bob left one of two assigned groups: %q, want still group-assigned", a.kind(bob))
	}
	b, err := decodeAccess(a.encode())
	if err != nil || !slices.Equal(b.group, a.group) || !slices.Equal(b.pairs, a.pairs) || b.runID != "r" || !b.known {
		t.Fatalf("round trip: %+v %v", b, err)
	}
	// The older format: no memberships; changes apply as counted.
	old := append([]byte("ACC2\x01r\x01"), 0, 0, 0, 2, 0, 0, 0, 0)
	for _, h := range []uint64{subjectHash(bob)} {
		old = append(old, byte(h>>56), byte(h>>48), byte(h>>40), byte(h>>32), byte(h>>24), byte(h>>16), byte(h>>8), byte(h))
	}
	c, err := decodeAccess(old)
	if err != nil || c.pairs != nil || len(c.group) != 1 {
		t.Fatalf("ACC2: %+v %v", c, err)
	}
	if !c.applyChange(domain.MemberChange{GroupID: g1, Member: domain.DirectoryMember{ID: bob}, Removed: true}) || len(c.group) != 0 {
		t.Errorf("ACC2 set: the removal was not applied: %v", c.group)
	}
}
