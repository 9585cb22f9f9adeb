package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/rules"
)

// DefaultAircallFullEvery is how old the last full listing of the Aircall
// users may get before a refresh lists them all again: an incremental
// refresh (users created since the newest known) sees no change of email
// and no deletion.
const DefaultAircallFullEvery = 7 * 24 * time.Hour

func (j *Job) aircallFullEvery() time.Duration {
	if j.AircallFullEvery > 0 {
		return j.AircallFullEvery
	}
	return DefaultAircallFullEvery
}

// snapshotRead is the Aircall snapshot a run checks against: how it was
// refreshed ("" not at all, "incremental", "full", or why the stored copy
// was kept) and which of its users the refresh added (indices into Users;
// none when there was no earlier copy).
type snapshotRead struct {
	*domain.AircallSnapshot
	how   string
	added []int
}

// aircallSnapshot returns the stored Aircall snapshot, refreshed first
// when it was taken before since (so once per run): incrementally from its
// newest user, in full when asked, when none exists or the last full
// listing is older than AircallFullEvery. The refresh stops at deadline
// (zero: none); a refresh that fails keeps the stored copy (how says so),
// unless there is none or Aircall refused the credentials.
func (j *Job) aircallSnapshot(ctx context.Context, since time.Time, full, dry bool, deadline time.Time) (*snapshotRead, error) {
	snap, etag, err := j.AircallSnapshots.LoadAircallUsers(ctx)
	if err != nil && !domain.IsCode(err, domain.ENOTFOUND) {
		return nil, fmt.Errorf("load the Aircall snapshot: %w", err)
	}
	if err != nil {
		snap, etag = nil, ""
	}
	now := j.now().UTC()
	if snap != nil && !full && !snap.TakenAt.Before(since) {
		return &snapshotRead{AircallSnapshot: snap}, nil
	}
	full = full || snap == nil || now.Sub(snap.FullAt) >= j.aircallFullEvery()
	lctx := ctx
	if !deadline.IsZero() {
		// The deadline is on the job's clock: what is left of it bounds the
		// listing on the real one.
		var cancel context.CancelFunc
		lctx, cancel = context.WithTimeout(ctx, max(deadline.Sub(now), 0))
		defer cancel()
	}
	next, err := j.listAircall(lctx, snap, full, now)
	if err != nil {
		if snap == nil || errors.Is(err, domain.ErrAircallCredentials) {
			return nil, fmt.Errorf("read the Aircall users: %w", err)
		}
		j.log().Warn("audit: the Aircall snapshot refresh failed; using the stored copy", "takenAt", snap.TakenAt, "error", err.Error())
		return &snapshotRead{AircallSnapshot: snap, how: "kept the copy of " + snap.TakenAt.Format(time.RFC3339) + " (refresh failed: " + domain.ErrorMessage(err) + ")"}, nil
	}
	read := &snapshotRead{AircallSnapshot: next, how: "incremental", added: addedUsers(snap, next)}
	if full {
		read.how = "full"
	}
	if dry {
		return read, nil
	}
	if _, err := j.AircallSnapshots.SaveAircallUsers(ctx, next, etag); err != nil {
		// Another run saved one meanwhile, or storage failed: this run
		// still checks against what it read.
		j.log().Warn("audit: could not save the Aircall snapshot", "error", err.Error())
	}
	return read, nil
}

// addedUsers lists the users of next that old did not have (none without
// an old copy: then nothing is "new").
func addedUsers(old, next *domain.AircallSnapshot) []int {
	if old == nil {
		return nil
	}
	had := make(map[int64]struct{}, len(old.Users))
	for _, u := range old.Users {
		had[u.ID] = struct{}{}
	}
	var out []int
	for i, u := range next.Users {
		if _, ok := had[u.ID]; !ok {
			out = append(out, i)
		}
	}
	return out
}

// listAircall lists every Aircall user (full) or those created since the
// newest of old, merged into old by id.
func (j *Job) listAircall(ctx context.Context, old *domain.AircallSnapshot, full bool, now time.Time) (*domain.AircallSnapshot, error) {
	next := &domain.AircallSnapshot{TakenAt: now, FullAt: now}
	var w domain.AircallWindow
	at := map[int64]int{}
	if !full {
		next.FullAt = old.FullAt
		next.Users = slices.Clone(old.Users)
		for i, u := range next.Users {
			at[u.ID] = i
		}
		w.From = old.Newest()
	}
	err := j.Aircall.ListUsers(ctx, w, func(u *domain.AircallUser) error {
		if i, ok := at[u.ID]; ok {
			next.Users[i] = *u
			return nil
		}
		at[u.ID] = len(next.Users)
		next.Users = append(next.Users, *u)
		return nil
	})
	return next, err
}

// AircallCheckRequest asks for the Aircall pass alone (handler
// aircall-check).
type AircallCheckRequest struct {
	// FullRefresh lists every Aircall user instead of refreshing the
	// snapshot incrementally.
	FullRefresh bool
}

// AircallCheckReport is what the Aircall pass alone found.
type AircallCheckReport struct {
	AircallUsers    int                        `json:"aircallUsers"`
	SnapshotTakenAt time.Time                  `json:"snapshotTakenAt"`
	SnapshotFullAt  time.Time                  `json:"snapshotFullAt"`
	Refresh         string                     `json:"refresh,omitempty"`
	ClaimSource     domain.ClaimSource         `json:"claimSource"`
	UsersScanned    int64                      `json:"usersScanned"`
	PeopleChecked   int64                      `json:"peopleChecked"`
	Counts          map[domain.FindingKind]int `json:"counts"`
	Findings        []domain.Finding           `json:"findings"`
	Truncated       bool                       `json:"truncated,omitempty"`
	Notes           []string                   `json:"notes,omitempty"`
}

// AircallCheck runs the Aircall pass alone: it refreshes the Aircall
// snapshot (saving it), reads who is assigned and every Entra user, and
// returns the three Aircall kinds of finding, sorted by kind and subject.
// It publishes nothing and touches no audit run state: the nightly audit
// publishes.
func (j *Job) AircallCheck(ctx context.Context, req AircallCheckRequest) (*AircallCheckReport, error) {
	if j.Aircall == nil || j.AircallSnapshots == nil {
		return nil, domain.FieldError("AIRCALL_API_ID", "the Aircall checks are off: set AIRCALL_API_ID and AIRCALL_API_TOKEN")
	}
	start := j.now()
	snap, err := j.aircallSnapshot(ctx, start.Add(time.Second), req.FullRefresh, false, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("aircall-check: %w", err)
	}
	src := domain.ClaimFromMail
	if j.Claim != nil {
		c, err := j.Claim(ctx)
		if err != nil && !domain.IsCode(err, domain.ENOTFOUND) {
			return nil, fmt.Errorf("aircall-check: read the app's email claim configuration: %w", err)
		}
		if err == nil && c.Source.Valid() {
			src = c.Source
		}
	}
	acc, err := j.loadAccess(ctx, j.workers())
	if err != nil {
		return nil, fmt.Errorf("aircall-check: read who is assigned to the Aircall app: %w", err)
	}
	rep := &AircallCheckReport{AircallUsers: len(snap.Users), SnapshotTakenAt: snap.TakenAt, SnapshotFullAt: snap.FullAt,
		Refresh: snap.how, ClaimSource: src, Counts: map[domain.FindingKind]int{}}
	if !acc.known {
		rep.Notes = append(rep.Notes, "the Aircall app was not found in Entra ID: nobody may sign in with SSO, so no person is checked and every Aircall user is without Entra access")
	}
	p := newAircallPass(rules.NewAircallIndex(snap.Users), start.UTC())
	var found []domain.Finding
	for link, first := "", true; first || link != ""; first = false {
		info, err := j.Directory.ListUsers(ctx, domain.UserRange{}, link, func(u *domain.User) error {
			rep.UsersScanned++
			if kind := acc.kind(u.ID); rules.AircallApplies(*u, kind, u.EmailClaim(src)) {
				rep.PeopleChecked++
				p.check(u, kind, src, &found)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("aircall-check: read users: %w", err)
		}
		link = info.Next
	}
	_ = p.noEntraAccess(500, func(fs []domain.Finding) error {
		found = append(found, fs...)
		return nil
	})
	slices.SortFunc(found, func(a, b domain.Finding) int {
		if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
			return c
		}
		return strings.Compare(strings.ToLower(a.Subject), strings.ToLower(b.Subject))
	})
	for _, f := range found {
		rep.Counts[f.Kind]++
	}
	if len(found) > j.rowLimit() {
		found, rep.Truncated = found[:j.rowLimit()], true
	}
	rep.Findings = found
	return rep, nil
}
