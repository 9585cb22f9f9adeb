package audit

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/rules"
)

// The Aircall pass (docs/audit.md, "Aircall's side") compares each person
// the Entra scan checks with a snapshot of the Aircall company's users:
// the small side (Aircall) is held in memory as an index, the large side
// (Entra) streams through the scan as it always does, so memory stays flat
// in the size of the tenant. Per person it raises aircall.email-differs or
// aircall.user-missing while the page is evaluated; it marks the Aircall
// users some enabled, assigned person maps to (a bit each, saved between
// invocations as the marked ids), and once a full scan completes every
// unmarked Aircall user is aircall.no-entra-access.

// aircallMarksKey is the checkpoint key of the marks of the run in progress.
const aircallMarksKey = "aircall-marks"

// NoteAircallOff is the report note of an audit without Aircall credentials.
const NoteAircallOff = "the Aircall checks are off: AIRCALL_API_ID and AIRCALL_API_TOKEN are not set"

// aircallPass is one invocation's Aircall state; nil when the checks are
// off or could not run.
type aircallPass struct {
	idx   *rules.AircallIndex
	marks []atomic.Uint32 // bit i: Aircall user i maps to an enabled, assigned person
	now   time.Time
	// broken is set when marks of an earlier invocation of the run were
	// lost (it ended without saving them): no-entra-access is not decided.
	broken bool
	// added are the Aircall users this invocation's refresh added: a delta
	// run looks up who they belong to (aircalldelta.go).
	added []int
	// takenAt is the snapshot's: marks saved against another snapshot (one
	// handler aircall-check refreshed meanwhile) are not trusted.
	takenAt time.Time
}

// aircallMarks is the saved form of the marks: the run, how many of its
// pages they cover, and the marked Aircall ids (8 bytes each, base64).
type aircallMarks struct {
	RunID      string    `json:"runId"`
	Pages      int       `json:"pages"`
	SnapshotAt time.Time `json:"snapshotAt"`
	Broken     bool      `json:"broken,omitempty"`
	IDs        string    `json:"ids,omitempty"`
}

func newAircallPass(idx *rules.AircallIndex, now time.Time) *aircallPass {
	return &aircallPass{idx: idx, marks: make([]atomic.Uint32, (idx.Len()+31)/32), now: now}
}

func (p *aircallPass) mark(i int)            { p.marks[i/32].Or(1 << (i % 32)) }
func (p *aircallPass) marked(i int) bool     { return p.marks[i/32].Load()&(1<<(i%32)) != 0 }
func (p *aircallPass) usable() bool          { return p != nil && p.idx != nil }
func aircallKinds(k domain.FindingKind) bool { return len(k) > 8 && k[:8] == "aircall." }

// check appends the person's Aircall finding to out and marks the Aircall
// user they map to. kind is the person's assignment.
func (p *aircallPass) check(u *domain.User, kind domain.AssignmentKind, src domain.ClaimSource, out *[]domain.Finding) {
	if !p.usable() {
		return
	}
	claim := u.EmailClaim(src)
	if !rules.AircallApplies(*u, kind, claim) {
		return
	}
	m := rules.MatchAircall(*u, claim, p.idx)
	switch {
	case m.Claim >= 0:
		p.mark(m.Claim)
	case m.Other >= 0:
		p.mark(m.Other)
	}
	*out = append(*out, rules.Aircall(*u, src, claim, m, p.idx, p.now)...)
}

// noEntraAccess hands the findings of the Aircall users nobody marked to
// fn, at most batch at a time (a large company's findings are never all in
// memory at once).
func (p *aircallPass) noEntraAccess(batch int, fn func([]domain.Finding) error) error {
	out := make([]domain.Finding, 0, batch)
	for i := 0; i < p.idx.Len(); i++ {
		if !p.marked(i) {
			out = append(out, rules.AircallNoEntraAccess(*p.idx.User(i), p.now))
		}
		if len(out) == batch || (i == p.idx.Len()-1 && len(out) > 0) {
			if err := fn(out); err != nil {
				return err
			}
			out = out[:0]
		}
	}
	return nil
}

// aircallPrepare loads (refreshing once per run) the Aircall snapshot and
// the run's marks; the evaluator then checks each person against it.
func (s *invocation) aircallPrepare(ctx context.Context, eval *evaluator) {
	j := s.j
	if j.Aircall == nil || j.AircallSnapshots == nil {
		s.rec.note(NoteAircallOff)
		return
	}
	st := s.rec.state()
	snap, err := j.aircallSnapshot(ctx, st.StartedAt, false, s.dry, s.read.deadline)
	if err != nil {
		s.log.Warn("audit: the Aircall checks could not run", "error", err.Error())
		s.rec.note("the Aircall checks could not run: " + domain.ErrorMessage(err))
		return
	}
	if snap.how != "" {
		s.log.Info("audit: Aircall snapshot", "refresh", snap.how, "users", len(snap.Users), "added", len(snap.added), "takenAt", snap.TakenAt)
	}
	if strings.HasPrefix(snap.how, "kept") {
		s.rec.note("the Aircall snapshot was not refreshed: " + snap.how)
	}
	p := newAircallPass(rules.NewAircallIndex(snap.Users), eval.observed)
	p.added, p.takenAt = snap.added, snap.TakenAt
	if st.Mode == ModeFull && !s.dry {
		s.loadMarks(ctx, st, p)
	}
	eval.aircall = p
}

// loadMarks restores the marks an earlier invocation of this full run
// saved; marks missing for pages already read make the run's
// no-entra-access undecidable (broken).
func (s *invocation) loadMarks(ctx context.Context, st *runState, p *aircallPass) {
	var m aircallMarks
	data, _, err := s.j.Checkpoints.Load(ctx, s.j.key(aircallMarksKey))
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil || m.RunID != st.RunID {
		p.broken = st.Pages > 0
		return
	}
	raw, err := base64.StdEncoding.DecodeString(m.IDs)
	if err != nil || len(raw)%8 != 0 || m.Pages != st.Pages || m.Broken || !m.SnapshotAt.Equal(p.takenAt) {
		p.broken = true
		return
	}
	at := make(map[int64]int, p.idx.Len())
	for k := 0; k < p.idx.Len(); k++ {
		at[p.idx.User(k).ID] = k
	}
	for i := 0; i < len(raw); i += 8 {
		if k, ok := at[int64(binary.BigEndian.Uint64(raw[i:]))]; ok {
			p.mark(k)
		}
	}
}

// aircallFinish ends the invocation's Aircall pass: when a full scan is
// complete, the Aircall users no one mapped to become no-entra-access
// findings (committed like a page, before the open findings are saved);
// when the pass could not decide, the open Aircall findings are kept.
// A full run still in progress saves its marks for the next invocation.
func (s *invocation) aircallFinish(ctx context.Context, complete bool) error {
	st := s.rec.state()
	p := s.read.eval.aircall
	if st.Mode != ModeFull {
		if complete {
			return s.aircallNewUsers(ctx, p)
		}
		return nil
	}
	if !p.usable() || p.broken {
		if p.usable() {
			s.rec.note("the Aircall users without Entra access were not decided this run (an invocation ended without saving its marks); the open ones are kept")
		}
		if complete {
			return s.keepOpen(ctx, func(k domain.FindingKind) bool {
				return k == domain.FindingAircallNoEntraAccess || (!p.usable() && aircallKinds(k))
			})
		}
		return s.saveMarks(ctx, st, p)
	}
	if !complete {
		return s.saveMarks(ctx, st, p)
	}
	return p.noEntraAccess(500, func(fs []domain.Finding) error {
		return s.rec.commit(ctx, fs, nil, nil, func(*runState) {})
	})
}

// keepOpen re-sees the open findings of the kinds keep selects, so a run
// that could not check them neither forgets nor later republishes them.
func (s *invocation) keepOpen(ctx context.Context, keep func(domain.FindingKind) bool) error {
	return s.rec.commit(ctx, nil, nil, nil, func(st *runState) {
		for k, e := range s.rec.known {
			if keep(kindName(e.kind())) {
				st.see(k, e)
			}
		}
	})
}

// saveMarks saves the marks with the pages they cover.
func (s *invocation) saveMarks(ctx context.Context, st *runState, p *aircallPass) error {
	if s.dry {
		return nil
	}
	m := aircallMarks{RunID: st.RunID, Pages: st.Pages, Broken: !p.usable() || p.broken}
	if p.usable() {
		m.SnapshotAt = p.takenAt
	}
	if p.usable() {
		var buf []byte
		for i := 0; i < p.idx.Len(); i++ {
			if p.marked(i) {
				buf = binary.BigEndian.AppendUint64(buf, uint64(p.idx.User(i).ID))
			}
		}
		m.IDs = base64.StdEncoding.EncodeToString(buf)
	}
	data, err := json.Marshal(m)
	if err != nil {
		return domain.Wrap(domain.EINTERNAL, err, "audit: encode the Aircall marks")
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.j.saveBlob(sctx, aircallMarksKey, data); err != nil {
		return fmt.Errorf("audit: save the Aircall marks: %w", err)
	}
	return nil
}

// aircallKind is the assignment the Aircall checks use: a user absent from
// the set the last full scan saved (a delta run) counts as not assigned,
// so nobody is newly reported for Aircall on a guess.
func (e *evaluator) aircallKind(kind domain.AssignmentKind) domain.AssignmentKind {
	if kind == domain.AssignmentUnknown && e.acc.saved && e.acc.known {
		return domain.AssignmentNone
	}
	return kind
}
