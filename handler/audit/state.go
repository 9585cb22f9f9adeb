package audit

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Checkpoint keys (under the job's Key prefix).
const (
	runKey   = "run"   // the run in progress
	knownKey = "known" // what the last completed run left open
)

// Scan modes.
const (
	ModeFull  = "full"
	ModeDelta = "delta"
)

// runState is the checkpoint of a run in progress, saved after every page
// (coalesced: a save covers every page finished before it started).
type runState struct {
	Version     int               `json:"version"`
	RunID       string            `json:"runId"`
	Mode        string            `json:"mode"`
	Scope       domain.AuditScope `json:"scope"`
	StartedAt   time.Time         `json:"startedAt"`
	Invocations int               `json:"invocations"`
	// Ranges are the shards of a full scan, in UPN order.
	Ranges []rangeState `json:"ranges,omitempty"`
	// NextDelta is the delta link taken when a full scan started: the next
	// run's delta starts there, so changes during the scan are not lost.
	NextDelta string `json:"nextDelta,omitempty"`
	// Delta is the delta round's next link (delta mode).
	Delta string `json:"delta,omitempty"`
	// DeltaDone is the delta link that ended the round (delta mode).
	DeltaDone string `json:"deltaDone,omitempty"`
	// AppChecked is set once the app-wide checks ran in this run.
	AppChecked bool `json:"appChecked,omitempty"`
	// Resynced is set when an expired delta link turned this run full.
	Resynced bool `json:"resynced,omitempty"`

	Pages        int   `json:"pages"`
	UsersScanned int64 `json:"usersScanned"`
	UsersChecked int64 `json:"usersChecked"`
	Published    int   `json:"published"`
	// Seen are the findings found so far in this run; Changed the subjects
	// a delta run re-evaluated (their old findings are dropped at the end).
	Seen    []byte `json:"seen,omitempty"` // 16-byte records, see findingSet.appendTo
	Changed string `json:"changed,omitempty"`

	seen    findingSet
	changed map[uint64]struct{}
}

// rangeState is one shard of a full scan.
type rangeState struct {
	domain.UserRange
	// Next is the next page's link; empty before the first page.
	Next  string `json:"next,omitempty"`
	Done  bool   `json:"done,omitempty"`
	Count int64  `json:"count"` // estimate from planning (-1 unknown)
	Pages int    `json:"pages"`
	Users int64  `json:"users"`
}

// knownState is what the last completed run left: the open findings (so a
// finding is published once, until it goes away and comes back) and where
// the next delta starts.
type knownState struct {
	Version     int       `json:"version"`
	CompletedAt time.Time `json:"completedAt"`
	LastFull    time.Time `json:"lastFull"`
	LastRunID   string    `json:"lastRunId"`
	// Scope is the scope of the findings below; another scope needs a full scan.
	Scope     domain.AuditScope `json:"scope,omitempty"`
	DeltaLink string            `json:"deltaLink,omitempty"`
	Findings  string            `json:"findings,omitempty"`

	findings findingSet
}

// entry is a finding in a set: its kind (for the report's counts) in the
// top 8 bits and its subject's hash (to drop it when a delta run
// re-evaluates the subject) in the low 56: 16 bytes a finding in the map.
type entry uint64

const subjectMask = 1<<56 - 1

func mkEntry(subject uint64, kind uint8) entry { return entry(uint64(kind)<<56 | subject&subjectMask) }

func (e entry) subject() uint64 { return uint64(e) & subjectMask }
func (e entry) kind() uint8     { return uint8(uint64(e) >> 56) }

// findingSet maps the first 8 bytes of Finding.ID to its entry: 8 bytes of
// a SHA-256 keep collisions negligible (below 1e-9 for a million findings)
// and the set small.
type findingSet map[uint64]entry

// kinds numbers the finding kinds for the compact sets; append only.
var kinds = []domain.FindingKind{
	domain.FindingUPNMismatch, domain.FindingMailMissing, domain.FindingGuestUPN, domain.FindingUserDisabled,
	domain.FindingUserNotAssigned, domain.FindingUserNotFound, domain.FindingAppDrift, domain.FindingCertExpiring,
	domain.FindingCertChanged, domain.FindingMetadataInvalid, domain.FindingMetadataChanged,
}

func kindIndex(k domain.FindingKind) uint8 {
	if i := slices.Index(kinds, k); i >= 0 {
		return uint8(i)
	}
	return 255
}

func kindName(i uint8) domain.FindingKind {
	if int(i) < len(kinds) {
		return kinds[i]
	}
	return "other"
}

// appSubject is the subject of app-wide findings: they are re-evaluated by
// every run.
var appSubject = subjectHash("app-wide") & subjectMask

// subjectHash hashes a finding's subject key (a user's object id, lower case).
func subjectHash(key string) uint64 {
	h := fnv.New64a()
	var b [1]byte
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[0] = c
		h.Write(b[:])
	}
	return h.Sum64() & subjectMask
}

// findingKey is the set key of a finding.
func findingKey(f domain.Finding) uint64 {
	id := f.ID()
	var b [8]byte
	_, _ = hex.Decode(b[:], []byte(id[:16]))
	return binary.BigEndian.Uint64(b[:])
}

// encode writes the set as base64 of sorted 16-byte records.
func (s findingSet) encode() string {
	if len(s) == 0 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(s.appendTo(nil))
}

// appendTo appends the set's 16-byte records (key, entry), in any order.
func (s findingSet) appendTo(buf []byte) []byte {
	buf = slices.Grow(buf[:0], len(s)*16)
	for k, e := range s {
		buf = binary.BigEndian.AppendUint64(buf, k)
		buf = binary.BigEndian.AppendUint64(buf, uint64(e))
	}
	return buf
}

func decodeSet(s string) (findingSet, error) {
	if s == "" {
		return findingSet{}, nil
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("finding set is corrupt")
	}
	return decodeRecords(raw)
}

// decodeRecords reads 16-byte records.
func decodeRecords(raw []byte) (findingSet, error) {
	out := findingSet{}
	if len(raw)%16 != 0 {
		return nil, fmt.Errorf("finding set is corrupt")
	}
	out = make(findingSet, len(raw)/16)
	for i := 0; i < len(raw); i += 16 {
		out[binary.BigEndian.Uint64(raw[i:])] = entry(binary.BigEndian.Uint64(raw[i+8:]))
	}
	return out, nil
}

func encodeSubjects(m map[uint64]struct{}) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]uint64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf := make([]byte, 0, len(keys)*8)
	for _, k := range keys {
		buf = binary.BigEndian.AppendUint64(buf, k)
	}
	return base64.StdEncoding.EncodeToString(buf)
}

func decodeSubjects(s string) (map[uint64]struct{}, error) {
	out := map[uint64]struct{}{}
	if s == "" {
		return out, nil
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw)%8 != 0 {
		return nil, fmt.Errorf("subject set is corrupt")
	}
	for i := 0; i < len(raw); i += 8 {
		out[binary.BigEndian.Uint64(raw[i:])] = struct{}{}
	}
	return out, nil
}

// counts tallies a set by kind.
func (s findingSet) counts() map[domain.FindingKind]int {
	out := map[domain.FindingKind]int{}
	for _, e := range s {
		out[kindName(e.kind())]++
	}
	return out
}
