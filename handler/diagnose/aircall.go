package diagnose

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/rules"
)

// DefaultAircallTTL is how long the diagnosis reuses its copy of the
// Aircall snapshot before a background refresh reads it again from the
// store (the audit refreshes the stored snapshot from Aircall).
const DefaultAircallTTL = 5 * time.Minute

// AircallFacts say what Aircall's side holds for the person, from the
// snapshot of Aircall's users the audit keeps (docs/aircall.md).
type AircallFacts struct {
	// Checked is false when the Aircall checks are off or no snapshot could
	// be read; Note says why.
	Checked bool   `json:"checked"`
	Note    string `json:"note,omitempty"`
	// SnapshotTakenAt is when the snapshot was refreshed from Aircall.
	SnapshotTakenAt *time.Time `json:"snapshotTakenAt,omitempty"`
	// UserWithClaim says whether an Aircall user has the claim value.
	UserWithClaim bool `json:"userWithClaim"`
	// AircallUserID and AircallEmail name the Aircall user found: the one
	// with the claim value, else one with another of the person's addresses.
	AircallUserID int64  `json:"aircallUserId,omitempty"`
	AircallEmail  string `json:"aircallEmail,omitempty"`
	// MatchedBy names the person's attribute that Aircall user has
	// ("mail", "proxyAddresses", "userPrincipalName") when it is not the
	// claim value.
	MatchedBy string `json:"matchedBy,omitempty"`
}

// aircallView is the diagnosis's copy of the snapshot.
type aircallView struct {
	idx     *rules.AircallIndex
	takenAt time.Time
}

// aircallView returns the shared copy of the Aircall snapshot, refreshed
// in the background like the app facts (package swr); nil when the checks
// are off.
func (j *Job) aircallView(ctx context.Context) (*aircallView, error) {
	if j.Aircall == nil {
		return nil, nil
	}
	j.aircallOnce.Do(func() { j.aircall = cached(j.loadAircall, j.AircallTTL, DefaultAircallTTL, j.now) })
	return j.aircall.Get(ctx)
}

func (j *Job) loadAircall(ctx context.Context) (*aircallView, error) {
	snap, _, err := j.Aircall.LoadAircallUsers(ctx)
	if err != nil {
		return nil, err
	}
	return &aircallView{idx: rules.NewAircallIndex(snap.Users), takenAt: snap.TakenAt}, nil
}

// aircallSide fills d.Facts.Aircall for user u and returns the Aircall
// findings (the same rules as the audit's Aircall pass).
func aircallSide(v *aircallView, vErr error, u domain.User, kind domain.AssignmentKind, src domain.ClaimSource, now time.Time) (*AircallFacts, []domain.Finding) {
	switch {
	case v == nil && vErr == nil:
		return &AircallFacts{Note: "the Aircall checks are off (AIRCALL_API_ID and AIRCALL_API_TOKEN are not set)"}, nil
	case vErr != nil && domain.IsCode(vErr, domain.ENOTFOUND):
		return &AircallFacts{Note: "no snapshot of Aircall's users yet: the nightly audit (or handler aircall-check) takes it"}, nil
	case vErr != nil:
		return &AircallFacts{Note: "the snapshot of Aircall's users could not be read: " + domain.ErrorMessage(vErr)}, nil
	}
	at := v.takenAt
	f := &AircallFacts{Checked: true, SnapshotTakenAt: &at}
	claim := u.EmailClaim(src)
	if claim == "" {
		return f, nil
	}
	m := rules.MatchAircall(u, claim, v.idx)
	switch {
	case m.Claim >= 0:
		au := v.idx.User(m.Claim)
		f.UserWithClaim, f.AircallUserID, f.AircallEmail = true, au.ID, au.Email
	case m.Other >= 0:
		au := v.idx.User(m.Other)
		f.AircallUserID, f.AircallEmail, f.MatchedBy = au.ID, au.Email, m.Via
	}
	if !rules.AircallApplies(u, kind, claim) {
		return f, nil
	}
	return f, rules.Aircall(u, src, claim, m, v.idx, now)
}

// aircallLine is the text's sentence about Aircall's side.
func aircallLine(d *Diagnosis) string {
	a := d.Facts.Aircall
	switch {
	case a == nil:
		return ""
	case !a.Checked:
		return "Aircall's side was not checked: " + a.Note + "."
	case d.Facts.EmailClaim == "":
		return ""
	}
	when := a.SnapshotTakenAt.UTC().Format("2006-01-02 15:04Z")
	switch {
	case a.UserWithClaim:
		return fmt.Sprintf("Aircall has a user with the email %q (user %d, as of %s): Aircall's side matches.", d.Facts.EmailClaim, a.AircallUserID, when)
	case a.AircallUserID != 0:
		return fmt.Sprintf("Aircall has no user with the email %q, but user %d has %s (this person's %s, as of %s): fix one side — change that Aircall user's email to %s, or make Entra ID send %s.",
			d.Facts.EmailClaim, a.AircallUserID, a.AircallEmail, a.MatchedBy, when, d.Facts.EmailClaim, strings.TrimSpace(a.AircallEmail))
	default:
		return fmt.Sprintf("Aircall has no user with the email %q nor any other address of this person (as of %s): create the Aircall user with that email.", d.Facts.EmailClaim, when)
	}
}
