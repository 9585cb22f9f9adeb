package audit

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
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
	// The findings found so far in this run are SeenSegments segment
	// documents (seenSegmentKey) followed by Seen, the records not yet in a
	// segment: a checkpoint carries at most segmentRecords of them, so its
	// size and the memory a save takes stay flat however many findings a
	// large tenant has. Changed lists the subjects a delta run re-evaluated
	// (their old findings are dropped at the end).
	SeenSegments int    `json:"seenSegments,omitempty"`
	Seen         []byte `json:"seen,omitempty"` // 16-byte records, see appendRecord
	Changed      string `json:"changed,omitempty"`

	seen    findingSet
	tail    []byte // records added since the last segment (saved as Seen)
	changed map[uint64]struct{}
	// pre is who is assigned, read by newRun while it planned a full
	// scan's shards (preErr its failure); accessFor takes it once.
	pre    *access
	preErr error
}

// segmentRecords is how many seen records a segment holds (64 KiB); a
// variable only so tests can make segments small.
var segmentRecords = 4096

// seenSegmentKey names segment n of a run's seen records.
func seenSegmentKey(runID string, n int) string { return fmt.Sprintf("run-seen/%s/%06d", runID, n) }

// see records finding key k with entry e as seen in this run.
func (st *runState) see(k uint64, e entry) {
	if old, ok := st.seen[k]; ok && old == e {
		return
	}
	st.seen[k] = e
	st.tail = appendRecord(st.tail, k, e)
}

// appendRecord appends one 16-byte record (key, entry).
func appendRecord(buf []byte, k uint64, e entry) []byte {
	buf = binary.BigEndian.AppendUint64(buf, k)
	return binary.BigEndian.AppendUint64(buf, uint64(e))
}

// addRecords adds 16-byte records to the set (later records win).
func (s findingSet) addRecords(raw []byte) error {
	if len(raw)%16 != 0 {
		return fmt.Errorf("finding set is corrupt")
	}
	for i := 0; i < len(raw); i += 16 {
		s[binary.BigEndian.Uint64(raw[i:])] = entry(binary.BigEndian.Uint64(raw[i+8:]))
	}
	return nil
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
	domain.FindingAircallEmailDiffers, domain.FindingAircallUserMissing, domain.FindingAircallNoEntraAccess,
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
		buf = appendRecord(buf, k, e)
	}
	return buf
}

// marshal encodes k as JSON with its findings set as Findings, in one
// buffer of the exact size: the set is base64-encoded straight from the map
// (not built as records, then a string, then copied by encoding/json), so
// finishing a run with a large set costs one copy of it, not four.
func (k *knownState) marshal() ([]byte, error) {
	k.Findings = ""
	head, err := json.Marshal(k)
	if err != nil || len(k.findings) == 0 {
		return head, err
	}
	const field = `,"findings":"`
	size := len(head) + len(field) + base64.StdEncoding.EncodedLen(len(k.findings)*16) + 1
	out := make([]byte, 0, size)
	out = append(out, head[:len(head)-1]...) // drop the closing brace
	out = append(out, field...)
	// 3 records (48 bytes) encode to exactly 64 characters without padding.
	var chunk [48]byte
	n := 0
	for key, e := range k.findings {
		binary.BigEndian.PutUint64(chunk[n:], key)
		binary.BigEndian.PutUint64(chunk[n+8:], uint64(e))
		if n += 16; n == len(chunk) {
			out = base64.StdEncoding.AppendEncode(out, chunk[:])
			n = 0
		}
	}
	out = base64.StdEncoding.AppendEncode(out, chunk[:n])
	return append(out, `"}`...), nil
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
	out := make(findingSet, len(raw)/16)
	if err := out.addRecords(raw); err != nil {
		return nil, err
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
