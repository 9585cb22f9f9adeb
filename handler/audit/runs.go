package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// newRun starts a run: a full scan plans its shards and takes a delta link
// first (changes during the scan come in the next delta); a delta starts
// from the last run's link.
func (j *Job) newRun(ctx context.Context, full bool, scope domain.AuditScope, known *knownState, start time.Time) (*runState, error) {
	st := &runState{Version: 1, Scope: scope, StartedAt: start.UTC(), seen: findingSet{}, changed: map[uint64]struct{}{}}
	if full {
		st.Mode = ModeFull
		// The delta link only has to be taken before the first user page is
		// read: take it while the shards are planned.
		var (
			link    string
			linkErr error
			done    = make(chan struct{})
		)
		go func() {
			defer close(done)
			link, linkErr = j.Directory.LatestDeltaLink(ctx)
		}()
		// Who is assigned does not depend on the shards: read it while they
		// are planned (prepare takes it from st.pre).
		pre := make(chan struct{})
		go func() {
			defer close(pre)
			st.pre, st.preErr = j.loadAccess(ctx, j.workers())
		}()
		ranges, err := j.plan(ctx, j.workers())
		<-done
		<-pre
		if linkErr != nil {
			return nil, fmt.Errorf("audit: take a delta link before the full scan: %w", linkErr)
		}
		if err != nil {
			return nil, fmt.Errorf("audit: plan the full scan's shards: %w", err)
		}
		st.NextDelta = link
		st.Ranges = ranges
	} else {
		st.Mode = ModeDelta
		st.Delta = known.DeltaLink
	}
	// The time names the run for people; the random suffix keeps two runs
	// started within a second apart (a delta resynced as a full scan right
	// after the last full scan): run ids key segments and the assignment set.
	var suffix [3]byte
	_, _ = rand.Read(suffix[:])
	st.RunID = start.UTC().Format("20060102T150405Z") + "-" + st.Mode + "-" + hex.EncodeToString(suffix[:])
	j.log().Info("audit: run started", "runId", st.RunID, "mode", st.Mode, "scope", st.Scope, "shards", len(st.Ranges))
	return st, nil
}

func (j *Job) loadKnown(ctx context.Context) (*knownState, string, error) {
	data, etag, err := j.Checkpoints.Load(ctx, j.key(knownKey))
	if domain.IsCode(err, domain.ENOTFOUND) {
		return &knownState{Version: 1, findings: findingSet{}}, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("audit: load the open findings: %w", err)
	}
	var k knownState
	if err := json.Unmarshal(data, &k); err != nil {
		return nil, "", domain.Wrap(domain.EINTERNAL, err, "audit: the open-findings document %s is corrupt: delete it to start afresh (the next run republishes open findings)", j.key(knownKey))
	}
	if k.findings, err = decodeSet(k.Findings); err != nil {
		return nil, "", domain.Wrap(domain.EINTERNAL, err, "audit: the open-findings document %s is corrupt: delete it to start afresh", j.key(knownKey))
	}
	k.Findings = ""
	return &k, etag, nil
}

func (j *Job) loadRun(ctx context.Context) (*runState, string, error) {
	data, etag, err := j.Checkpoints.Load(ctx, j.key(runKey))
	if domain.IsCode(err, domain.ENOTFOUND) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("audit: load the run checkpoint: %w", err)
	}
	var st runState
	if err := json.Unmarshal(data, &st); err == nil {
		st.seen = findingSet{}
		for n := 0; n < st.SeenSegments && err == nil; n++ {
			var seg []byte
			if seg, _, err = j.Checkpoints.Load(ctx, j.key(seenSegmentKey(st.RunID, n))); err == nil {
				err = st.seen.addRecords(seg)
			} else if !domain.IsCode(err, domain.ENOTFOUND) {
				return nil, "", fmt.Errorf("audit: load segment %d of the run checkpoint: %w", n, err)
			}
		}
		if err == nil {
			if err = st.seen.addRecords(st.Seen); err == nil {
				st.tail = st.Seen
				st.changed, err = decodeSubjects(st.Changed)
			}
		}
		if err == nil {
			st.Seen, st.Changed = nil, ""
			return &st, etag, nil
		}
	}
	// A corrupt checkpoint costs a rescan, never a wrong answer.
	j.log().Warn("audit: the run checkpoint is unreadable; starting a new run", "key", j.key(runKey))
	if err := j.Checkpoints.Delete(ctx, j.key(runKey)); err != nil {
		return nil, "", err
	}
	return nil, "", nil
}
