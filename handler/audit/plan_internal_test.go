package audit

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

func TestCutChainsRanges(t *testing.T) {
	for _, tc := range []struct {
		r    domain.UserRange
		n    int
		atLe int // at least this many ranges
	}{
		{domain.UserRange{}, 16, 12},
		{domain.UserRange{After: "a", Upto: "b"}, 8, 6},
		{domain.UserRange{After: "ann.lee@contoso.com", Upto: "ao"}, 4, 3},
		{domain.UserRange{After: "z"}, 5, 4},
		{domain.UserRange{Upto: "0"}, 4, 2},
		{domain.UserRange{After: "abc", Upto: "abc0"}, 8, 1},
	} {
		parts := cut(tc.r, tc.n)
		if len(parts) < tc.atLe || len(parts) > tc.n {
			t.Errorf("cut %+v in %d: %d parts, want %d..%d", tc.r, tc.n, len(parts), tc.atLe, tc.n)
		}
		if parts[0].After != tc.r.After || parts[len(parts)-1].Upto != tc.r.Upto {
			t.Errorf("cut %+v: ends %q..%q", tc.r, parts[0].After, parts[len(parts)-1].Upto)
		}
		for i := 1; i < len(parts); i++ {
			if parts[i].After != parts[i-1].Upto || parts[i].After <= parts[i-1].After {
				t.Errorf("cut %+v: part %d %+v does not follow %+v", tc.r, i, parts[i], parts[i-1])
			}
		}
		// Every key lands in exactly one part.
		for _, k := range []string{"", "0", "a", "ab", "abc", "abc0", "ann.lee@contoso.com", "anna@x", "b", "m@contoso.com", "zz", "~x", "émile@x"} {
			if !tc.r.Contains(k) {
				continue
			}
			n := 0
			for _, p := range parts {
				if p.Contains(k) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("cut %+v: key %q in %d parts", tc.r, k, n)
			}
		}
	}
}

func TestMergeKeepsCoverage(t *testing.T) {
	rs := []rangeState{
		{UserRange: domain.UserRange{Upto: "b"}, Count: 10},
		{UserRange: domain.UserRange{After: "b", Upto: "c"}, Count: 20},
		{UserRange: domain.UserRange{After: "c", Upto: "d"}, Count: 500},
		{UserRange: domain.UserRange{After: "d", Upto: "e"}, Count: -1},
		{UserRange: domain.UserRange{After: "e"}, Count: 5},
	}
	got := merge(rs, 100)
	want := []domain.UserRange{{Upto: "c"}, {After: "c", Upto: "d"}, {After: "d", Upto: "e"}, {After: "e"}}
	if len(got) != len(want) {
		t.Fatalf("merged into %d, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].UserRange != want[i] {
			t.Errorf("range %d = %+v, want %+v", i, got[i].UserRange, want[i])
		}
	}
}

func TestFindingSetRoundTrip(t *testing.T) {
	s := findingSet{1: mkEntry(appSubject, kindIndex(domain.FindingAppDrift)), 1 << 63: mkEntry(subjectHash("ABC"), kindIndex(domain.FindingUPNMismatch))}
	got, err := decodeSet(s.encode())
	if err != nil || len(got) != 2 || got[1].subject() != appSubject || got[1<<63].kind() != kindIndex(domain.FindingUPNMismatch) ||
		got[1<<63].subject() != subjectHash("abc") {
		t.Fatalf("round trip: %v %v", got, err)
	}
	if _, err := decodeSet("!!!"); err == nil {
		t.Error("a corrupt set was accepted")
	}
	if c := s.counts(); c[domain.FindingAppDrift] != 1 || c[domain.FindingUPNMismatch] != 1 {
		t.Errorf("counts %v", c)
	}
}

// TestKnownStateMarshal: the open-findings document written straight from
// the map reads back as the same set, whatever the set's size modulo the
// 3-record base64 chunk, and as before when the set is empty.
func TestKnownStateMarshal(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 4, 1000, 1001} {
		k := &knownState{Version: 1, LastRunID: "r1", DeltaLink: "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x", findings: findingSet{}}
		for i := range n {
			k.findings[uint64(i)*0x9E3779B97F4A7C15] = mkEntry(subjectHash(fmt.Sprint("user", i)), uint8(i%len(kinds)))
		}
		data, err := k.marshal()
		if err != nil {
			t.Fatal(err)
		}
		var back knownState
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("%d findings: %v\n%s", n, err, data)
		}
		got, err := decodeSet(back.Findings)
		if err != nil || !maps.Equal(got, k.findings) || back.LastRunID != "r1" || back.DeltaLink != k.DeltaLink {
			t.Fatalf("%d findings: read back %d, %v (run %q)", n, len(got), err, back.LastRunID)
		}
	}
}

// TestAccessRoundTrip: the saved assignment set reads back as written, and
// anything else is refused.
func TestAccessRoundTrip(t *testing.T) {
	a := &access{known: true, groups: 2, runID: "20261128T020000Z-full", direct: []uint64{1, 5, 1 << 60}, group: []uint64{7}}
	got, err := decodeAccess(a.encode())
	if err != nil || !got.known || got.groups != 2 || got.runID != a.runID || !got.saved ||
		!slices.Equal(got.direct, a.direct) || !slices.Equal(got.group, a.group) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if got.kind("x") != domain.AssignmentUnknown {
		t.Errorf("a user absent from a saved set is %q, want unknown", got.kind("x"))
	}
	empty, err := decodeAccess((&access{}).encode())
	if err != nil || empty.known || len(empty.direct)+len(empty.group) != 0 {
		t.Fatalf("empty set: %+v, %v", empty, err)
	}
	for _, bad := range [][]byte{nil, []byte("ACC1xxxxxxxxxxxxx"), a.encode()[:20], append(a.encode(), 1)} {
		if _, err := decodeAccess(bad); err == nil {
			t.Errorf("accepted a corrupt set %q", bad)
		}
	}
}
