package inmem

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// AircallSnapshots is an in-memory domain.AircallSnapshotStore with ETags.
type AircallSnapshots struct {
	mu   sync.Mutex
	snap *domain.AircallSnapshot
	etag string
	seq  int
	// Saves counts successful saves.
	Saves int
}

// LoadAircallUsers returns a copy of the snapshot, or ENOTFOUND.
func (a *AircallSnapshots) LoadAircallUsers(ctx context.Context) (*domain.AircallSnapshot, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.snap == nil {
		return nil, "", domain.Errorf(domain.ENOTFOUND, "no Aircall snapshot")
	}
	cp := *a.snap
	cp.Users = slices.Clone(a.snap.Users)
	return &cp, a.etag, nil
}

// SaveAircallUsers creates (etag "") or replaces the version etag.
func (a *AircallSnapshots) SaveAircallUsers(ctx context.Context, s *domain.AircallSnapshot, etag string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if etag != a.etag {
		return "", domain.Errorf(domain.ECONFLICT, "the Aircall snapshot changed since it was read")
	}
	cp := *s
	cp.Users = slices.Clone(s.Users)
	a.snap = &cp
	a.seq++
	a.etag = strconv.Itoa(a.seq)
	a.Saves++
	return a.etag, nil
}
