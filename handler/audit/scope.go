package audit

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// access knows which users may sign in to the Aircall app: those assigned
// directly and the DIRECT members of assigned groups (Entra ID does not
// grant access through nested groups). Users are kept as sorted 8-byte
// hashes of their object ids, so a million assigned users take 8 MB.
type access struct {
	// known is false when the app was not found: assignment is unknown.
	known  bool
	direct []uint64
	group  []uint64
	groups int
	// saved is set when the set was read from the copy the last full scan
	// saved (delta runs): someone absent from it may have been assigned
	// since, so "not assigned" is not claimed from it (see kind).
	saved bool
	// runID is the run that read the set from Graph.
	runID string
	// links are the groups/delta links of the assigned groups (taken by a
	// full scan; advanced by a delta run), affected the members whose
	// membership changed since, to check again, and groupsExpired is set
	// when Graph no longer honours a link (groupdelta.go).
	links         []string
	affected      []string
	groupsExpired bool
	// pairs are sorted hashes of (group, member) memberships (pairHash), so
	// a membership change Graph reports twice (delta queries may replay
	// changes) is applied once. Empty for a set saved before they existed.
	pairs []uint64
}

// pairHash identifies one membership: a member's hash in a group.
func pairHash(groupID string, member uint64) uint64 {
	return subjectHash(groupID)*0x9e3779b97f4a7c15 ^ member
}

// accessKey is the checkpoint key of the saved assignment set.
const accessKey = "access"

// encode writes the set as "ACC3", the run id's length (1 byte) and the
// run id, a known flag, the group count, the direct, group-member and pair
// counts, then the direct, group-member and pair hashes (8 bytes each).
// decodeAccess also reads "ACC2" (no pair count, no pairs).
func (a *access) encode() []byte {
	id := a.runID[:min(len(a.runID), 255)]
	buf := make([]byte, 0, 18+len(id)+8*(len(a.direct)+len(a.group)+len(a.pairs)))
	buf = append(buf, "ACC3"...)
	buf = append(buf, byte(len(id)))
	buf = append(buf, id...)
	if a.known {
		buf = append(buf, 1)
	} else {
		buf = append(buf, 0)
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(a.groups))
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(a.direct)))
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(a.group)))
	for _, list := range [][]uint64{a.direct, a.group, a.pairs} {
		for _, h := range list {
			buf = binary.BigEndian.AppendUint64(buf, h)
		}
	}
	return buf
}

func decodeAccess(b []byte) (*access, error) {
	corrupt := fmt.Errorf("the saved assignment set is corrupt")
	if len(b) < 5 || (string(b[:4]) != "ACC2" && string(b[:4]) != "ACC3") {
		return nil, corrupt
	}
	v3 := string(b[:4]) == "ACC3"
	head := 5 + int(b[4]) + 9
	if v3 {
		head += 4
	}
	if len(b) < head || (len(b)-head)%8 != 0 {
		return nil, corrupt
	}
	idEnd := 5 + int(b[4])
	a := &access{runID: string(b[5:idEnd]), known: b[idEnd] == 1, groups: int(binary.BigEndian.Uint32(b[idEnd+1:])), saved: true}
	hs := b[head:]
	nd, ng := int(binary.BigEndian.Uint32(b[idEnd+5:])), len(hs)/8-int(binary.BigEndian.Uint32(b[idEnd+5:]))
	if v3 {
		ng = int(binary.BigEndian.Uint32(b[idEnd+9:]))
	}
	if nd < 0 || ng < 0 || nd+ng > len(hs)/8 {
		return nil, corrupt
	}
	read := func(from, n int) []uint64 {
		out := make([]uint64, n)
		for i := range out {
			out[i] = binary.BigEndian.Uint64(hs[8*(from+i):])
		}
		return out
	}
	a.direct, a.group = read(0, nd), read(nd, ng)
	if v3 {
		a.pairs = read(nd+ng, len(hs)/8-nd-ng)
	}
	return a, nil
}

// kind returns a user's assignment.
func (a *access) kind(userID string) domain.AssignmentKind {
	if !a.known {
		return domain.AssignmentUnknown
	}
	h := subjectHash(userID)
	if _, ok := slices.BinarySearch(a.direct, h); ok {
		return domain.AssignmentDirect
	}
	if _, ok := slices.BinarySearch(a.group, h); ok {
		return domain.AssignmentGroup
	}
	if a.saved {
		return domain.AssignmentUnknown
	}
	return domain.AssignmentNone
}

// accessFor returns who is assigned for this invocation. A full scan reads
// it from Graph (appRoleAssignedTo, then every assigned group's direct
// members) and saves it; a delta run uses the set the last full scan saved,
// so a nightly delta costs the changed users' pages, not every member of
// every assigned group again. users/delta reports no assignment or
// membership change, so such changes are seen by the next full scan either
// way (at most FullEvery later). Later invocations of a full run reuse the
// set its first invocation read.
func (j *Job) accessFor(ctx context.Context, st *runState, dry bool) (*access, error) {
	data, _, err := j.Checkpoints.Load(ctx, j.key(accessKey))
	switch {
	case err == nil:
		a, derr := decodeAccess(data)
		switch {
		case derr != nil:
			j.log().Warn("audit: the saved assignment set is unreadable; reading it from Graph", "key", j.key(accessKey))
		case a.runID == st.RunID:
			// A later invocation of the run that read it: its own snapshot.
			a.saved = false
			return a, nil
		case st.Mode == ModeDelta:
			if err := j.followMemberships(ctx, a); errors.Is(err, domain.ErrDeltaExpired) {
				a.groupsExpired = true
			} else if err != nil {
				return nil, err
			}
			return a, nil
		}
	case !domain.IsCode(err, domain.ENOTFOUND):
		return nil, fmt.Errorf("audit: load the saved assignment set: %w", err)
	}
	a, err := st.pre, st.preErr
	if a == nil && err == nil {
		a, err = j.loadAccess(ctx, j.workers())
	}
	st.pre, st.preErr = nil, nil
	if err != nil || dry {
		return a, err
	}
	a.runID = st.RunID
	if err := j.saveBlob(ctx, accessKey, a.encode()); err != nil {
		// Only the next delta run's cost depends on it.
		j.log().Warn("audit: could not save the assignment set; the next delta run reads it from Graph", "error", err.Error())
	} else if err := j.saveGroupLinks(ctx, a); err != nil {
		j.log().Warn("audit: could not save the groups/delta links; delta runs will not see membership changes until the next full scan", "error", err.Error())
	}
	a.links = nil
	return a, nil
}

// saveBlob writes key unconditionally (create, or replace what is there).
func (j *Job) saveBlob(ctx context.Context, key string, data []byte) error {
	key = j.key(key)
	_, err := j.Checkpoints.Save(ctx, key, data, "")
	if domain.IsCode(err, domain.ECONFLICT) {
		var etag string
		if _, etag, err = j.Checkpoints.Load(ctx, key); err == nil {
			_, err = j.Checkpoints.Save(ctx, key, data, etag)
		}
	}
	return err
}

// loadAccess pages the app's assignments and the direct members of each
// assigned group (groups in parallel, up to workers at a time). Members
// that are groups are ignored: nested groups do not grant access.
func (j *Job) loadAccess(ctx context.Context, workers int) (*access, error) {
	sp, err := j.Directory.AppServicePrincipal(ctx)
	if domain.IsCode(err, domain.ENOTFOUND) {
		return &access{}, nil
	}
	if err != nil {
		return nil, err
	}
	a := &access{known: true}
	var groups []string
	link := ""
	for {
		info, err := j.Directory.AppAssignments(ctx, sp, link, func(as domain.AppAssignment) error {
			switch strings.ToLower(as.PrincipalType) {
			case "user":
				a.direct = append(a.direct, subjectHash(as.PrincipalID))
			case "group":
				groups = append(groups, as.PrincipalID)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if info.Next == "" {
			break
		}
		link = info.Next
	}
	slices.Sort(groups)
	groups = slices.Compact(groups)
	a.groups = len(groups)
	// Before the members are read, so changes made meanwhile are seen by
	// the next delta run.
	a.links = j.takeGroupLinks(ctx, groups)
	if a.group, a.pairs, err = j.groupMembers(ctx, groups, workers); err != nil {
		return nil, err
	}
	slices.Sort(a.pairs)
	slices.Sort(a.direct)
	a.direct = slices.Compact(a.direct)
	// One hash per (group, member): see groupMembers.
	slices.Sort(a.group)
	return a, nil
}
