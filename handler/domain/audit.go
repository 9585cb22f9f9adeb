package domain

import (
	"context"
	"errors"
	"regexp"
)

// UserRange is one shard of a full user scan: the users whose lower-cased
// userPrincipalName k satisfies After < k <= Upto. An empty After means no
// lower bound and an empty Upto no upper bound, so the ranges
// ("", b1], (b1, b2], …, (bn, "") cover every user exactly once whatever
// the bounds are.
type UserRange struct {
	After string `json:"after,omitempty"`
	Upto  string `json:"upto,omitempty"`
}

// Contains reports whether the lower-cased UPN key is in the range.
func (r UserRange) Contains(key string) bool {
	return (r.After == "" || key > r.After) && (r.Upto == "" || key <= r.Upto)
}

// PageInfo is what a bulk read learnt from one page besides its items.
type PageInfo struct {
	// Next is the link to the next page; empty on the last page.
	Next string
	// DeltaLink is set on the last page of a delta round: the cursor for
	// the next round.
	DeltaLink string
	// Items is the number of items on the page (after range filtering).
	Items int
}

// DirectoryMember is one direct member of a group.
type DirectoryMember struct {
	ID string
	// Type is "user", "group", "servicePrincipal", "device" or "orgContact".
	Type string
}

// ErrDeltaExpired is the cause of the error a BulkDirectory returns when a
// delta link is no longer valid (410 Gone, tokens live 7 days): the caller
// must start over with a full scan.
var ErrDeltaExpired = errors.New("the delta link expired (410 Gone): a full resync is required")

// BulkDirectory reads Entra ID in bulk for the audit job, one page at a
// time: every item is handed to fn while the page is decoded, so at most one
// page is in memory. The *User given to fn is reused: copy it to keep it.
// An error from fn stops the page and is returned as is.
//
// A next link from a PageInfo is passed back as the link of the following
// call; an empty link starts from the beginning. Adapters code Graph's
// failures with FromStatus (EUNAVAILABLE when Graph still throttles or is
// unavailable after retries, EFORBIDDEN naming the missing permission) and
// return an error wrapping ErrDeltaExpired for an expired delta link.
type BulkDirectory interface {
	// CountUsers returns how many users are in r (Graph's eventual count),
	// or -1 when the directory cannot tell.
	CountUsers(ctx context.Context, r UserRange) (int64, error)
	// ListUsers reads one page of the users in r.
	ListUsers(ctx context.Context, r UserRange, link string, fn func(*User) error) (PageInfo, error)
	// UsersDelta reads one page of a users delta round; link "" starts a
	// new round that lists every user. Removed users come with Removed set.
	UsersDelta(ctx context.Context, link string, fn func(*User) error) (PageInfo, error)
	// LatestDeltaLink returns a delta link that reports changes from now on
	// ($deltatoken=latest), without listing users.
	LatestDeltaLink(ctx context.Context) (string, error)
	// AppServicePrincipal returns the Aircall app's service principal id;
	// ENOTFOUND when the app does not exist.
	AppServicePrincipal(ctx context.Context) (string, error)
	// AppAssignments reads one page of the app's user and group assignments.
	AppAssignments(ctx context.Context, servicePrincipalID, link string, fn func(AppAssignment) error) (PageInfo, error)
	// GroupMembers reads one page of a group's direct members.
	GroupMembers(ctx context.Context, groupID, link string, fn func(DirectoryMember) error) (PageInfo, error)
}

// AuditScope says which users the audit checks.
type AuditScope string

// Audit scopes.
const (
	// ScopeAssigned checks the users who may sign in to Aircall: assigned
	// directly, or direct members of an assigned group (nested groups do
	// not grant access).
	ScopeAssigned AuditScope = "assigned"
	// ScopeAll checks every user of the tenant, unassigned ones included.
	ScopeAll AuditScope = "all"
)

// Valid reports whether s is a known scope.
func (s AuditScope) Valid() bool { return s == ScopeAssigned || s == ScopeAll }

// ReportFile is one rendering of an audit report (JSON, CSV or HTML).
type ReportFile struct {
	// Name is the file name, e.g. "report.json".
	Name        string
	ContentType string
	Data        []byte
}

// reportName is what a report or report file name may be: one path
// segment of letters, digits, '.', '_' and '-', not starting with a dot.
var reportName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$`)

// ValidReportName reports whether name may name a report or one of its
// files in a ReportStore (stores answer EINVALID otherwise).
func ValidReportName(name string) bool { return reportName.MatchString(name) }

// ReportStore keeps audit reports for people to read. Only the audit job
// writes; each run (and each invocation of a resumed run) writes its own
// files and never overwrites another run's.
type ReportStore interface {
	// PutReport stores files under the report name (e.g.
	// "20260101T020000Z-full-1") and returns where they went, for the log.
	// A file already stored is kept as it is. Names must pass
	// ValidReportName (EINVALID). Adapters return EUNAVAILABLE when storage
	// is unreachable.
	PutReport(ctx context.Context, name string, files []ReportFile) ([]string, error)
}
