package audit

import (
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/rules"
)

// evaluator checks one user with package rules for the run being scanned:
// it knows who is assigned, where the email claim comes from, the run's
// scope and what the last completed run left open. prepare builds it before
// a scan; the reader's workers only read it.
type evaluator struct {
	acc      *access
	claim    domain.ClaimSource
	observed time.Time
	scope    domain.AuditScope
	known    findingSet
	// aircall is the invocation's Aircall pass (aircall.go); nil: off.
	aircall *aircallPass
}

// check appends the user's findings to out and reports whether the user was
// checked (in scope and not removed).
func (e *evaluator) check(u *domain.User, out *[]domain.Finding) bool {
	if u.Removed {
		return false
	}
	kind := e.acc.kind(u.ID)
	if e.scope == domain.ScopeAssigned && kind != domain.AssignmentDirect && kind != domain.AssignmentGroup {
		return false
	}
	if kind == domain.AssignmentUnknown && e.acc.saved && e.acc.known {
		// Not in the set the last full scan saved: "not assigned" then is
		// kept only if it was already open (the user may have been assigned
		// since; the next full scan knows), never newly claimed.
		for _, f := range rules.Evaluate(*u, rules.Context{Assignment: domain.AssignmentNone, ClaimSource: e.claim, Now: e.observed}) {
			if f.Kind == domain.FindingUserNotAssigned {
				if _, open := e.known[findingKey(f)]; !open {
					continue
				}
			}
			*out = append(*out, f)
		}
		e.aircall.check(u, e.aircallKind(kind), e.claim, out)
		return true
	}
	*out = append(*out, rules.Evaluate(*u, rules.Context{Assignment: kind, ClaimSource: e.claim, Now: e.observed})...)
	e.aircall.check(u, kind, e.claim, out)
	return true
}
