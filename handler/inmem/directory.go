package inmem

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Directory is an in-memory domain.UserDirectory and domain.BulkDirectory
// (bulk.go): users, direct user assignments, groups with their direct
// members (groups may contain groups, which grant nothing, as in Entra ID),
// group assignments and the claim configuration. Latency, when set, is
// added to every call, to stand in for Graph in benchmarks.
type Directory struct {
	// Latency is slept (or until ctx is done) at the start of every call.
	Latency time.Duration
	// PageSize is the most items a bulk page holds (default 999).
	PageSize int

	mu             sync.RWMutex
	users          map[string]domain.User // by id
	byKey          map[string]string      // lower-cased UPN and mail → id
	assignedUsers  map[string]bool
	groups         map[string]*group
	assignedGroups []string // in assignment order
	claim          domain.ClaimConfig
	// for delta rounds: the change sequence, when each user last changed,
	// and the generation of delta links (ExpireDeltaLinks bumps it)
	seq       uint64
	changedAt map[string]uint64
	deltaGen  int
}

type group struct {
	name    string
	members map[string]bool // user or group ids
}

// NewDirectory returns an empty directory whose claim comes from user.mail
// (Entra ID's default).
func NewDirectory() *Directory {
	return &Directory{
		users: map[string]domain.User{}, byKey: map[string]string{}, assignedUsers: map[string]bool{},
		groups: map[string]*group{}, changedAt: map[string]uint64{}, claim: domain.ClaimConfig{Source: domain.ClaimFromMail, Origin: domain.ClaimOriginDefault},
	}
}

// PutUser adds or replaces a user (by ID).
func (d *Directory) PutUser(u domain.User) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.users[u.ID]; ok {
		delete(d.byKey, dirKey(old.UserPrincipalName))
		delete(d.byKey, dirKey(old.Mail))
	}
	d.users[u.ID] = u
	d.seq++
	d.changedAt[u.ID] = d.seq
	if k := dirKey(u.Mail); k != "" {
		d.byKey[k] = u.ID
	}
	d.byKey[dirKey(u.UserPrincipalName)] = u.ID // a UPN wins over another user's mail
}

// AssignUser assigns the user with object id id to the app.
func (d *Directory) AssignUser(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.assignedUsers[id] = true
}

// PutGroup adds or replaces a group with its direct members (user or group ids).
func (d *Directory) PutGroup(id, name string, members ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	g := &group{name: name, members: map[string]bool{}}
	for _, m := range members {
		g.members[m] = true
	}
	d.groups[id] = g
}

// AssignGroup assigns the group with object id id to the app.
func (d *Directory) AssignGroup(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.assignedGroups = append(d.assignedGroups, id)
}

// SetEmailClaim sets the app's claim configuration.
func (d *Directory) SetEmailClaim(c domain.ClaimConfig) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.claim = c
}

// FindUser implements domain.UserDirectory.
func (d *Directory) FindUser(ctx context.Context, k string) (domain.User, domain.Assignment, error) {
	if err := d.wait(ctx); err != nil {
		return domain.User{}, domain.Assignment{}, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	id, ok := d.byKey[dirKey(k)]
	if !ok || dirKey(k) == "" {
		return domain.User{}, domain.Assignment{}, domain.Errorf(domain.ENOTFOUND, "no user has userPrincipalName or mail %q", k)
	}
	return d.users[id], d.assignment(id), nil
}

// assignment is userID's access to the app; the caller holds d.mu.
func (d *Directory) assignment(userID string) domain.Assignment {
	if d.assignedUsers[userID] {
		return domain.Assignment{Kind: domain.AssignmentDirect}
	}
	for _, gid := range d.assignedGroups {
		if g, ok := d.groups[gid]; ok && g.members[userID] {
			name := g.name
			if name == "" {
				name = gid
			}
			return domain.Assignment{Kind: domain.AssignmentGroup, Group: name}
		}
	}
	return domain.Assignment{Kind: domain.AssignmentNone}
}

// EmailClaim implements domain.UserDirectory.
func (d *Directory) EmailClaim(ctx context.Context) (domain.ClaimConfig, error) {
	if err := d.wait(ctx); err != nil {
		return domain.ClaimConfig{}, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.claim, nil
}

func (d *Directory) wait(ctx context.Context) error {
	if d.Latency <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d.Latency)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return domain.Wrap(domain.EUNAVAILABLE, ctx.Err(), "directory call cancelled")
	case <-t.C:
		return nil
	}
}

func dirKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

var _ domain.UserDirectory = (*Directory)(nil)
