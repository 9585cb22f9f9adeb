package inmem

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// AircallDirectory is an in-memory domain.AircallDirectory: the users of
// one Aircall company. Err, when set, is returned by every call (to stand
// in for refused credentials or an outage).
type AircallDirectory struct {
	mu    sync.RWMutex
	users map[int64]domain.AircallUser
	err   error
}

// NewAircallDirectory returns a company holding users.
func NewAircallDirectory(users ...domain.AircallUser) *AircallDirectory {
	d := &AircallDirectory{users: map[int64]domain.AircallUser{}}
	d.PutUsers(users...)
	return d
}

// PutUsers adds users, or replaces them by ID.
func (d *AircallDirectory) PutUsers(users ...domain.AircallUser) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, u := range users {
		u.CreatedAt = u.CreatedAt.UTC()
		d.users[u.ID] = u
	}
}

// DeleteUser removes the user with id.
func (d *AircallDirectory) DeleteUser(id int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.users, id)
}

// SetError makes every call return err (nil: work again).
func (d *AircallDirectory) SetError(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err = err
}

// Ping implements domain.AircallDirectory.
func (d *AircallDirectory) Ping(ctx context.Context) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.err != nil {
		return d.err
	}
	return ctx.Err()
}

// ListUsers implements domain.AircallDirectory: oldest first, from a copy
// taken at the start, so fn may change the directory.
func (d *AircallDirectory) ListUsers(ctx context.Context, w domain.AircallWindow, fn func(*domain.AircallUser) error) error {
	d.mu.RLock()
	if d.err != nil {
		d.mu.RUnlock()
		return d.err
	}
	list := make([]domain.AircallUser, 0, len(d.users))
	for _, u := range d.users {
		if w.Contains(u.CreatedAt) {
			list = append(list, u)
		}
	}
	d.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool {
		if !list[i].CreatedAt.Equal(list[j].CreatedAt) {
			return list[i].CreatedAt.Before(list[j].CreatedAt)
		}
		return list[i].ID < list[j].ID
	})
	for i := range list {
		if err := ctx.Err(); err != nil {
			return domain.Wrap(domain.EUNAVAILABLE, err, "aircall listing cancelled")
		}
		if err := fn(&list[i]); err != nil {
			return err
		}
	}
	return nil
}

// FindUserByEmail implements domain.AircallDirectory.
func (d *AircallDirectory) FindUserByEmail(ctx context.Context, email string) (domain.AircallUser, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.err != nil {
		return domain.AircallUser{}, d.err
	}
	k := strings.TrimSpace(email)
	if k != "" {
		for _, u := range d.users {
			if strings.EqualFold(strings.TrimSpace(u.Email), k) {
				return u, nil
			}
		}
	}
	return domain.AircallUser{}, domain.Errorf(domain.ENOTFOUND, "aircall: no Aircall user has the email %q", email)
}

var _ domain.AircallDirectory = (*AircallDirectory)(nil)
