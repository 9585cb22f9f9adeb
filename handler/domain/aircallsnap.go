package domain

import (
	"context"
	"time"
)

// AircallSnapshot is a copy of an Aircall company's users kept between runs
// (docs/audit.md, "Aircall's side"): the audit refreshes it, the diagnosis
// reads it, so neither waits on Aircall's rate-limited API per person.
type AircallSnapshot struct {
	// TakenAt is when it was last refreshed; FullAt when it was last read
	// in full (an incremental refresh only adds users created since).
	TakenAt time.Time
	FullAt  time.Time
	// Users are the company's users, in no particular order.
	Users []AircallUser
}

// Newest returns the latest CreatedAt of the snapshot's users (zero when
// empty): where an incremental refresh starts.
func (s *AircallSnapshot) Newest() time.Time {
	var t time.Time
	for i := range s.Users {
		if s.Users[i].CreatedAt.After(t) {
			t = s.Users[i].CreatedAt
		}
	}
	return t
}

// AircallSnapshotStore keeps the one AircallSnapshot. Load returns
// ENOTFOUND when none was saved. Save with etag "" creates (ECONFLICT if one
// exists); with an etag it replaces only that version (ECONFLICT otherwise).
// Adapters return EUNAVAILABLE when storage is unreachable and EUPSTREAM
// for a stored copy they cannot read.
type AircallSnapshotStore interface {
	LoadAircallUsers(ctx context.Context) (*AircallSnapshot, string, error)
	SaveAircallUsers(ctx context.Context, s *AircallSnapshot, etag string) (string, error)
}
